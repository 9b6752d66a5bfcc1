/**
 * One backend wiring for every area of Quark: which backend an area uses ({@code quark.<area>.backend}, else
 * {@code quark.backend}), {@link dev.quark.autoconfigure.backend.ConditionalOnQuarkBackend}, the start-up failure
 * for a missing driver, and the runner of every area's Liquibase changelog.
 */
@NullMarked
package dev.quark.autoconfigure.backend;

import org.jspecify.annotations.NullMarked;
