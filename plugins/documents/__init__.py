"""The Files tab: a customer's documents. Each document is a title, labels and a history of
versions, every version one of core's stored files (`core/files.py`: the bytes, their sniffed
type and size, signed downloads that check the viewer again). Core keeps the bytes and the
rules about them; this module keeps what a person files them under.

The module key is `documents`, not `files`: core already owns the `files.view` and
`files.upload` permissions and the `files` table, so `documents.view` / `documents.edit` /
`documents.manage` can never be mistaken for them."""
