/**
 * The RabbitMQ destination through Spring AMQP, with publisher confirms.
 */
@NullMarked
package dev.quark.messaging.publisher.amqp;

import org.jspecify.annotations.NullMarked;
