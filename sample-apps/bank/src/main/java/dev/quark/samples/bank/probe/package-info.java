/**
 * Probes for the process-level crash tests, purpose-built modes of the bank sample: the outbox probe (profile
 * {@code outbox-probe}) commits and rolls back transactions enqueueing numbered messages for a RabbitMQ queue, so that
 * the tests can check every delivery; the subscription probe (profile {@code subscription-probe}) follows the global
 * event feed and records every event it handles, so that they can check a subscription's takeover.
 */
@NullMarked
package dev.quark.samples.bank.probe;

import org.jspecify.annotations.NullMarked;
