/**
 * What Quark's PostgreSQL backends share: table names, the Liquibase changelogs that create the tables,
 * transactions, and a {@code LISTEN}/{@code NOTIFY} listener.
 */
@NullMarked
package dev.quark.jdbc;

import org.jspecify.annotations.NullMarked;
