"""The reservations module: a tenant's bookable resources (rooms, equipment, tables) with
opening hours in the tenant's time zone and a capacity, and customers' reservations of them
for a time range, never booked beyond capacity even when many clients book at once."""
