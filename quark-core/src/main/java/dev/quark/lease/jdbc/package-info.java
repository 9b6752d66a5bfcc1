/**
 * The PostgreSQL lease store and the SQL that fences an area's own writes, on Spring JDBC.
 */
@NullMarked
package dev.quark.lease.jdbc;

import org.jspecify.annotations.NullMarked;
