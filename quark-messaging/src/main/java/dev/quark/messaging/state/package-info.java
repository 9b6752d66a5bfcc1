/**
 * An actor's persistent state and its outbox messages written in one atomic step: {@link StateOutbox}.
 */
@NullMarked
package dev.quark.messaging.state;

import org.jspecify.annotations.NullMarked;
