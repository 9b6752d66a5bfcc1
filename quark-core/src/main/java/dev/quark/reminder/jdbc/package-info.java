/**
 * The PostgreSQL reminder table: a bucket column indexed with the fire time.
 */
@NullMarked
package dev.quark.reminder.jdbc;

import org.jspecify.annotations.NullMarked;
