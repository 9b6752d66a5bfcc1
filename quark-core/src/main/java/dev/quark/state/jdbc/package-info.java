/**
 * The PostgreSQL state store, on Spring JDBC.
 */
@NullMarked
package dev.quark.state.jdbc;

import org.jspecify.annotations.NullMarked;
