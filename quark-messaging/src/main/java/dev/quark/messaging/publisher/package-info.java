/**
 * The destinations Quark ships: an actor destination, a Spring {@code ApplicationEvent} destination, and (in
 * {@code publisher.amqp}) RabbitMQ with publisher confirms.
 */
@NullMarked
package dev.quark.messaging.publisher;

import org.jspecify.annotations.NullMarked;
