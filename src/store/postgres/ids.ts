// Ids in a PostgreSQL store start here, so they never collide with a local SQLite store's: in team
// mode an id alone says which store holds the row. (No driver import: the routing layer uses it.)
export const SHARED_ID_BASE = 1_000_000_000;
