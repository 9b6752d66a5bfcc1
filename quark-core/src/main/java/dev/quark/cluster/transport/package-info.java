/**
 * The transport between silos: the {@link dev.quark.cluster.transport.Transport} SPI that carries
 * {@link dev.quark.cluster.transport.Envelope}s, and the {@link dev.quark.cluster.transport.PayloadCodec} that
 * turns what calls carry into bytes. The in-JVM transport is in {@code transport.injvm}.
 */
@NullMarked
package dev.quark.cluster.transport;

import org.jspecify.annotations.NullMarked;
