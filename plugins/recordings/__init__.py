"""Recordings: call and meeting recordings (audio) on a customer's profile, uploaded by a
worker or ingested by a telephony integration with an API key (`recordings.ingest`), played
back in the page through short-lived signed links that answer `Range` requests. The audio
is stored through core's uploads (`core/files.py`, purpose `audio`), so an erased customer's
recordings leave the storage with core's removal job like their other files."""
