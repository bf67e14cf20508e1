/* The migrations in schema/NNN-*.sql, embedded at build time. */
#ifndef TALKD_DB_SCHEMA_H
#define TALKD_DB_SCHEMA_H
#include <stddef.h>
struct db_migration {
	const char *name;	/* "001-init.sql" */
	const char *sql;
};
extern const struct db_migration db_migrations[];
extern const size_t db_nmigrations;
#endif
