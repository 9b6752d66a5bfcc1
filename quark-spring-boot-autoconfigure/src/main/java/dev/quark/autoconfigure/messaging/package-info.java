/**
 * Auto-configuration of the transactional outbox and idempotent inbox ({@code quark.messaging.*}).
 */
@NullMarked
package dev.quark.autoconfigure.messaging;

import org.jspecify.annotations.NullMarked;
