/**
 * The gRPC transport between silos: one bidirectional stream per peer and lane, protobuf envelopes, a
 * handshake on cluster name and protocol version, gRPC flow control, and reconnection with back-off.
 */
@NullMarked
package dev.quark.cluster.transport.grpc;

import org.jspecify.annotations.NullMarked;
