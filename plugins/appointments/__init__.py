"""The appointments module: bookings with workers, reminders and prepaid credits."""
