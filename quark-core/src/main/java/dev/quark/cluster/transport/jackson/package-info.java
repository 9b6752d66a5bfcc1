/**
 * The {@link dev.quark.cluster.transport.PayloadCodec} on Jackson 3: {@link
 * dev.quark.cluster.transport.jackson.JacksonPayloadCodec} and what it is made of (the per-method readers and
 * writers, the reference module, the failure format and its allow-list), kept apart from the transport
 * package so that only the codec itself is public, with the {@link
 * dev.quark.cluster.transport.jackson.ExceptionTypeContributor} SPI through which other modules add their
 * exceptions (and its {@link dev.quark.cluster.transport.jackson.FailureFields}).
 */
@NullMarked
package dev.quark.cluster.transport.jackson;

import org.jspecify.annotations.NullMarked;
