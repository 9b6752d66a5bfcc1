/**
 * The membership table on PostgreSQL: a version row per cluster, a row per silo, conditional writes in one
 * transaction, and {@code LISTEN}/{@code NOTIFY} for change hints.
 */
@NullMarked
package dev.quark.cluster.membership.jdbc;

import org.jspecify.annotations.NullMarked;
