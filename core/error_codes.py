"""Every error code the API answers with, and what it means: `extensions.code` of a GraphQL
error and `code` of a `userErrors` entry. Modules add theirs through `hub_error_codes`; the
`errorCodes` query serves the list (core's and the tenant's modules'), and a test fails on
any code raised in the code base that is not listed here or by its module."""

# code: what it means (and, for a GraphQL error, when it comes)
CORE_CODES = {
    # GraphQL errors (`errors[].extensions.code`)
    "BAD_USER_INPUT": "Input the user can fix; `extensions.problems` lists what (a mutation "
    "answers these as `userErrors` instead).",
    "UNAUTHENTICATED": "No valid token or API key (HTTP 401).",
    "FORBIDDEN": "Signed in, but the role or permission does not allow this.",
    "NOT_FOUND": "Unknown id, another tenant's or invisible to this worker: all look alike.",
    "SERVICE_UNAVAILABLE": "The database is busy or unreachable; retry after `Retry-After` "
    "seconds (HTTP 503 when nothing was done). Nothing was written.",
    "INTERNAL": "A bug on our side; `extensions.requestId` finds it in the log.",
    "GRAPHQL_PARSE_FAILED": "The document is not valid GraphQL syntax.",
    "GRAPHQL_VALIDATION_FAILED": "The document does not fit the schema, or breaks a limit "
    "(`extensions.limit` names it).",
    "QUERY_TOO_COMPLEX": "The document's cost is over `MAX_QUERY_COST`.",
    "MODULE_DISABLED": "The field belongs to a module this tenant has not enabled "
    "(`extensions.module`).",
    "BAD_REQUEST": "The HTTP request is not a GraphQL request (HTTP 400).",
    "METHOD_NOT_ALLOWED": "A mutation over GET, or a method other than GET and POST (405).",
    "NOT_ACCEPTABLE": "The `Accept` header allows no JSON (406).",
    "UNSUPPORTED_MEDIA_TYPE": "The body is neither `application/json` nor, for a POST, "
    "`multipart/form-data` (415).",
    "REQUEST_TOO_LARGE": "The body is over `MAX_BODY_BYTES`, or an upload request over "
    "`UPLOAD_MAX_REQUEST_BYTES` (413).",
    "FILE_TOO_LARGE": "An uploaded file is over `UPLOAD_MAX_FILE_BYTES` (HTTP 413, or a "
    "`userErrors` entry).",
    "TOO_MANY_FILES": "More files in one upload request than `UPLOAD_MAX_FILES` (413).",
    "CSRF_PREFLIGHT_REQUIRED": "A multipart upload lacks an `Apollo-Require-Preflight` (or "
    "similar) header (400).",
    "DOWNLOAD_LINK_EXPIRED": "A file's download link is past its time: ask for "
    "`downloadUrl` again (HTTP 403).",
    "SUBSCRIPTION_OVER_HTTP": "Subscriptions run on the websocket only.",
    "PERSISTED_QUERY_NOT_FOUND": "Unknown persisted query hash: send the document with it.",
    "PERSISTED_QUERY_HASH_MISMATCH": "`sha256Hash` is not the SHA-256 of the document sent.",
    "PERSISTED_QUERY_INVALID": "The `persistedQuery` extension is malformed.",
    "PERSISTED_QUERY_NOT_ALLOWED": "Only registered documents run on this server.",
    # `Job.error.code` (besides INTERNAL and the modules' own codes)
    "JOB_INTERRUPTED": "The job's process stopped under it more often than its attempts allow.",
    # `userErrors[].code`, from core's mutations
    "REQUIRED": "A required member is missing or blank.",
    "INVALID": "The value is not acceptable (format, range, kind).",
    "TOO_LONG": "Text over the member's length limit.",
    "TOO_MANY": "More items than allowed at once.",
    "TAKEN": "Another record already uses this (a name, an email).",
    "DUPLICATE": "The same item given twice; or, under the tenant's BLOCK duplicate policy, "
    "a customer write that matches an existing customer (the payload's `duplicates`).",
    "VERSION_CONFLICT": "Changed by someone else since it was read; read it again.",
    "CYCLE": "Would make a record its own ancestor.",
    "TOO_DEEP": "Sub-customers nest deeper than allowed.",
    "SAME": "Source and target are the same record.",
    "SELF": "A worker cannot do this to themselves.",
    "FIELD_HIDDEN": "The custom field does not apply to this customer.",
    "ALREADY_CUSTOMER": "The lead is already a customer.",
    "MERGE_UNDO_EXPIRED": "The merge is older than `MERGE_UNDO_DAYS`; it can no longer be undone.",
    "MERGE_ALREADY_UNDONE": "The merge was undone already.",
    "NOT_IN_FOLDER": "The customer is not in that folder.",
    "INVALID_CURSOR": "The cursor was not made by this list and order.",
    "UNKNOWN_FIELD": "A filter or sort names a field the tenant does not have "
    "(`customerFilterFields` lists them).",
    "INVALID_OPERATOR": "The filter operator does not apply to the field's type.",
    "INVALID_VALUE": "A filter value of the wrong type or shape for its field and operator "
    "(an unknown option, a folder's status given as a list status, a malformed ID).",
    "FILTER_TOO_LARGE": "A filter nests deeper, holds more conditions or more values than "
    "allowed (5 levels, 50 conditions, 100 values).",
    "PAGE_SIZE": "`first`/`last` out of range (0 to 100), or both given.",
    "MULTIPLE_DEFAULT": "More than one default given.",
    "MULTIPLE_PRIMARY": "More than one primary contact point of a kind.",
    "DEFAULT_REQUIRED": "A list needs one default.",
    "DEFAULT_STATUS": "The default status cannot be removed.",
    "LAST_STATUS": "A status list cannot become empty.",
    "LAST_OWNER": "The last owner cannot lose the role or be removed.",
    "OWNER": "Owners' permissions cannot be narrowed.",
    "INCOMPLETE": "The list must name every existing item (a reorder).",
    "IMMUTABLE": "This property cannot change once set.",
    "DEPENDENCY": "Another enabled module needs this one, or this one needs another.",
    "EMPTY_FILE": "The uploaded file has no bytes.",
    "IMAGE_TOO_LARGE": "An uploaded photo has more pixels than may be decoded safely (a "
    "decompression bomb, or just too large): send a smaller image.",
    "IMAGE_UNREADABLE": "An uploaded photo's bytes are not an image that can be read.",
    "RANGE_NOT_SATISFIABLE": "A `Range` header asks for bytes the file does not have (416).",
    "TYPE_NOT_ALLOWED": "The uploaded file's type (sniffed from its bytes) is not accepted "
    "for this purpose.",
    "INVALID_TRANSITION": "The record cannot move from its status to the one asked "
    "(the message names both and what is allowed).",
    "UNKNOWN_COLUMN": "An export names a column the tenant does not have "
    "(`customerExportColumns` lists them).",
    "EXPORT_EXPIRED": "An export's file was removed (after `EXPORT_KEEP_HOURS`), or what it "
    "exported no longer exists: export again (HTTP 410).",
    # Bulk actions (core/bulk.py)
    "IDS_OR_FILTER": "A bulk mutation needs either `customerIds` or a filter (`where` / "
    "`search`), not both and not neither.",
    "ALREADY_UNDONE": "The bulk action is undone (or being undone) already.",
    "BULK_RUNNING": "The bulk action's job is still running: undo it once it has ended.",
    "BULK_UNDO_EXPIRED": "The bulk action is older than `BULK_UNDO_HOURS`: it can no longer "
    "be undone.",
    "SEGMENT_CYCLE": "A dynamic segment's filter would reach the segment itself again.",
    "SEGMENT_TOO_DEEP": "Dynamic segments name each other more than 3 levels deep.",
    "CUSTOMER_ARCHIVED": "The customer is archived: only restoring or erasing it is "
    "allowed (restoreCustomer, then try again).",
    # CSV imports (`core/csv_import.py`)
    "TOO_MANY_ROWS": "A CSV import has more data rows than `IMPORT_MAX_ROWS`.",
    "AMBIGUOUS_MATCH": "An import row's email or phone matches more than one customer.",
}
