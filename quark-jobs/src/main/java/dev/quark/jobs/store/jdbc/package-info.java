/**
 * Jobs in a PostgreSQL table, claimed with {@code FOR UPDATE SKIP LOCKED} and leases from the shared lease table.
 */
@NullMarked
package dev.quark.jobs.store.jdbc;

import org.jspecify.annotations.NullMarked;
