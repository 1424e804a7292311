/**
 * A session's id as it is stored: a lower-case UUID (randomUUID). Shared by the API's schemas, the
 * CLI and the pages, which all refuse anything else before asking the database.
 */
export const SESSION_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
