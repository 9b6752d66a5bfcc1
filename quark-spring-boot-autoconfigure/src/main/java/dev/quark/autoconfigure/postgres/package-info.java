/**
 * What Quark's PostgreSQL backends share: {@code quark.postgres.*} properties. The start-up migration of
 * Quark's tables is {@link dev.quark.autoconfigure.backend.QuarkChangelogRunner}'s.
 */
@NullMarked
package dev.quark.autoconfigure.postgres;

import org.jspecify.annotations.NullMarked;
