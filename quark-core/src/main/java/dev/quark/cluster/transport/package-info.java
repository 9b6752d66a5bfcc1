/**
 * The transport between silos: the {@code Transport} SPI that carries envelopes, the in-JVM transport for
 * tests and the test kit, and the codec that turns calls into bytes with the application's Jackson mapper.
 */
@NullMarked
package dev.quark.cluster.transport;

import org.jspecify.annotations.NullMarked;
