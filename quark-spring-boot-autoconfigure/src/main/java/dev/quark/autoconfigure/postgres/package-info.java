/**
 * What Quark's PostgreSQL backends share: {@code quark.postgres.*} properties and the start-up migration of
 * Quark's tables.
 */
@NullMarked
package dev.quark.autoconfigure.postgres;

import org.jspecify.annotations.NullMarked;
