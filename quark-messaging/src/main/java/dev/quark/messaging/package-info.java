/**
 * Transactional outbox and idempotent inbox: {@link dev.quark.messaging.Outbox} writes messages in the caller's
 * transaction and a dispatcher delivers them to {@link dev.quark.messaging.MessagePublisher} destinations;
 * {@link dev.quark.messaging.Inbox} runs a consumer's handler once per message id.
 */
@NullMarked
package dev.quark.messaging;

import org.jspecify.annotations.NullMarked;
