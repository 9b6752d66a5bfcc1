/**
 * The contract tests every outbox and inbox store runs (needs {@code dev.quark:quark-messaging}).
 */
@NullMarked
package dev.quark.testkit.messaging;

import org.jspecify.annotations.NullMarked;
