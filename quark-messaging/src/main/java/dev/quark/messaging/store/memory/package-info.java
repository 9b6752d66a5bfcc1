/**
 * In-memory outbox and inbox stores: for tests and single-JVM applications; nothing survives a restart.
 */
@NullMarked
package dev.quark.messaging.store.memory;

import org.jspecify.annotations.NullMarked;
