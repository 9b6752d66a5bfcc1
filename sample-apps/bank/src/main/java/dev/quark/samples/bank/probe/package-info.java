/**
 * The outbox probe: a purpose-built mode of the bank sample (profile {@code outbox-probe}) that commits and rolls
 * back transactions enqueueing numbered messages for a RabbitMQ queue, so that the process-level crash tests can
 * check every delivery.
 */
@NullMarked
package dev.quark.samples.bank.probe;

import org.jspecify.annotations.NullMarked;
