/**
 * How areas that stamp their rows with lease tokens recover from a lease store that lost its tokens; shared by the
 * reminders and the event subscriptions, no compatibility promise.
 */
@NullMarked
package dev.quark.lease.internal;

import org.jspecify.annotations.NullMarked;
