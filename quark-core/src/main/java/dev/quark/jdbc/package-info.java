/**
 * What Quark's PostgreSQL backends share: table names and the Liquibase changelogs that create the tables.
 */
@NullMarked
package dev.quark.jdbc;

import org.jspecify.annotations.NullMarked;
