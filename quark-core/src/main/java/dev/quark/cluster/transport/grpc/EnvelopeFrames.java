package dev.quark.cluster.transport.grpc;

import java.util.Map;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.proto.ClientFrame;
import dev.quark.cluster.transport.grpc.proto.Kind;
import dev.quark.cluster.transport.grpc.proto.Lane;
import dev.quark.cluster.transport.grpc.proto.RejectedCause;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

/**
 * Turns {@link Envelope}s into protobuf frames and back. Reading checks what protobuf cannot: a known kind,
 * non-blank silo ids, a valid source address, metadata and names within bounds, and throws, saying what is wrong,
 * a {@link MalformedEnvelopeException} for what no Quark silo of the same protocol version sends, or an
 * {@link EnvelopeBeyondBoundsException} for an envelope over the bounds, never anything else: a receiving stream
 * counts only the first kind against its budget of invalid frames. A sender checks the same bounds with the same
 * code ({@link #checkBounds}) before it writes an envelope, so that it refuses one instead of sending it to be
 * refused; silos of the same protocol version from before that check still send such envelopes.
 */
final class EnvelopeFrames {

    /** The most metadata entries an envelope may carry. */
    static final int MAX_METADATA_ENTRIES = 256;

    /** The longest silo id, actor type, actor id, request id or metadata key an envelope may carry. */
    static final int MAX_NAME_LENGTH = 4096;

    /** How much of an offending metadata key a refusal shows. */
    private static final int SHOWN_KEY_LENGTH = 64;

    private EnvelopeFrames() {
    }

    /**
     * Checks an envelope about to be sent against the bounds a receiving silo holds envelopes to, the ones
     * {@link #fromFrame} checks, with the same code: name lengths, the number of metadata entries, blank or too long
     * metadata keys. Costs a few length checks, no allocation, and a loop over the keys only for an envelope that
     * carries metadata.
     * @param envelope the envelope
     * @throws EnvelopeBeyondBoundsException saying which bound it exceeds, naming the metadata key at fault
     */
    static void checkBounds(Envelope envelope) {
        configured("source silo id", envelope.sourceSiloId());
        configured("target silo id", envelope.targetSiloId());
        configured("source host", envelope.sourceAddress().host());
        String actorType = envelope.actorType();
        if (actorType != null) {
            bounded("actor type", actorType);
        }
        String actorId = envelope.actorId();
        if (actorId != null) {
            bounded("actor id", actorId);
        }
        String requestId = envelope.requestId();
        if (requestId != null) {
            bounded("request id", requestId);
        }
        configured("membership incarnation", envelope.membershipIncarnation());
        Map<String, String> metadata = envelope.metadata();
        if (!metadata.isEmpty()) {
            metadataWithinBounds(metadata);
        }
    }

    /**
     * Reads the cause of a {@code Rejected} frame: a silo from before the field, or a newer silo's cause this one
     * does not know, says {@link EnvelopeRejectedException.Reason#OTHER}.
     */
    static EnvelopeRejectedException.Reason reason(RejectedCause cause) {
        return switch (cause) {
            case REJECTED_CAUSE_TOO_LARGE -> EnvelopeRejectedException.Reason.TOO_LARGE;
            case REJECTED_CAUSE_BEYOND_BOUNDS -> EnvelopeRejectedException.Reason.BEYOND_BOUNDS;
            case REJECTED_CAUSE_OTHER, UNRECOGNIZED -> EnvelopeRejectedException.Reason.OTHER;
        };
    }

    /** Writes the cause of a {@code Rejected} frame. */
    static RejectedCause cause(EnvelopeRejectedException.Reason reason) {
        return switch (reason) {
            case TOO_LARGE -> RejectedCause.REJECTED_CAUSE_TOO_LARGE;
            case BEYOND_BOUNDS -> RejectedCause.REJECTED_CAUSE_BEYOND_BOUNDS;
            case OTHER -> RejectedCause.REJECTED_CAUSE_OTHER;
        };
    }

    static ClientFrame toFrame(Envelope envelope) {
        dev.quark.cluster.transport.grpc.proto.Envelope.Builder builder = dev.quark.cluster.transport.grpc.proto.Envelope
            .newBuilder()
            .setMessageId(envelope.messageId())
            .setCorrelationId(envelope.correlationId())
            .setKind(kind(envelope.kind()))
            .setSourceSiloId(envelope.sourceSiloId())
            .setSourceEpoch(envelope.sourceEpoch())
            .setSourceHost(envelope.sourceAddress().host())
            .setSourcePort(envelope.sourceAddress().port())
            .setTargetSiloId(envelope.targetSiloId())
            .setTargetEpoch(envelope.targetEpoch())
            .setMethodId(envelope.methodId())
            .setPayload(UnsafeByteOperations.unsafeWrap(envelope.payload()))
            .setCallChainId(envelope.callChainId())
            .setDeadlineEpochMillis(envelope.deadlineEpochMillis())
            .setMembershipVersion(envelope.membershipVersion())
            .setMembershipIncarnation(envelope.membershipIncarnation())
            .setForwardCount(envelope.forwardCount());
        if (!envelope.metadata().isEmpty()) {
            builder.putAllMetadata(envelope.metadata());
        }
        if (envelope.actorType() != null) {
            builder.setActorType(envelope.actorType());
        }
        if (envelope.actorId() != null) {
            builder.setActorId(envelope.actorId());
        }
        if (envelope.requestId() != null) {
            builder.setRequestId(envelope.requestId());
        }
        return ClientFrame.newBuilder().setEnvelope(builder).build();
    }

    static Envelope fromFrame(dev.quark.cluster.transport.grpc.proto.Envelope frame) {
        Envelope.Kind kind = kind(frame.getKind());
        String source = name("source silo id", frame.getSourceSiloId(), false);
        String target = name("target silo id", frame.getTargetSiloId(), false);
        String host = name("source host", frame.getSourceHost(), false);
        int port = frame.getSourcePort();
        if (port < 0 || port > 65535) {
            throw new MalformedEnvelopeException("source port " + Integer.toUnsignedString(port)
                    + " is not between 0 and 65535");
        }
        if (frame.getForwardCount() < 0) {
            throw new MalformedEnvelopeException("forward count " + Integer.toUnsignedString(frame.getForwardCount())
                    + " is out of range");
        }
        Map<String, String> metadata = frame.getMetadataMap();
        if (!metadata.isEmpty()) {
            metadataWithinBounds(metadata);
        }
        return new Envelope(frame.getMessageId(), frame.getCorrelationId(), kind, source, frame.getSourceEpoch(),
                new SiloAddress(host, port), target, frame.getTargetEpoch(),
                frame.hasActorType() ? name("actor type", frame.getActorType(), true) : null,
                frame.hasActorId() ? name("actor id", frame.getActorId(), true) : null, frame.getMethodId(),
                bytes(frame.getPayload()), frame.getCallChainId(),
                frame.hasRequestId() ? name("request id", frame.getRequestId(), true) : null, metadata,
                frame.getDeadlineEpochMillis(), frame.getMembershipVersion(),
                name("membership incarnation", frame.getMembershipIncarnation(), true), frame.getForwardCount());
    }

    static Lane lane(Envelope.Lane lane) {
        return switch (lane) {
            case CALL -> Lane.LANE_CALL;
            case REPLY -> Lane.LANE_REPLY;
            case PROBE -> Lane.LANE_PROBE;
        };
    }

    static Envelope.Lane lane(Lane lane) {
        return switch (lane) {
            case LANE_CALL -> Envelope.Lane.CALL;
            case LANE_REPLY -> Envelope.Lane.REPLY;
            case LANE_PROBE -> Envelope.Lane.PROBE;
            case LANE_UNSPECIFIED, UNRECOGNIZED -> throw new MalformedEnvelopeException("lane " + lane
                    + " is not one of CALL, REPLY, PROBE");
        };
    }

    private static Kind kind(Envelope.Kind kind) {
        return switch (kind) {
            case REQUEST -> Kind.KIND_REQUEST;
            case ONE_WAY -> Kind.KIND_ONE_WAY;
            case RESPONSE -> Kind.KIND_RESPONSE;
            case ERROR -> Kind.KIND_ERROR;
            case HANDOFF -> Kind.KIND_HANDOFF;
            case HANDOFF_ACK -> Kind.KIND_HANDOFF_ACK;
            case PROBE -> Kind.KIND_PROBE;
            case INDIRECT_PROBE -> Kind.KIND_INDIRECT_PROBE;
            case PROBE_REPLY -> Kind.KIND_PROBE_REPLY;
            case PROBE_FAILED -> Kind.KIND_PROBE_FAILED;
            case DIRECTORY -> Kind.KIND_DIRECTORY;
            case NOTICE -> Kind.KIND_NOTICE;
        };
    }

    private static Envelope.Kind kind(Kind kind) {
        return switch (kind) {
            case KIND_REQUEST -> Envelope.Kind.REQUEST;
            case KIND_ONE_WAY -> Envelope.Kind.ONE_WAY;
            case KIND_RESPONSE -> Envelope.Kind.RESPONSE;
            case KIND_ERROR -> Envelope.Kind.ERROR;
            case KIND_HANDOFF -> Envelope.Kind.HANDOFF;
            case KIND_HANDOFF_ACK -> Envelope.Kind.HANDOFF_ACK;
            case KIND_PROBE -> Envelope.Kind.PROBE;
            case KIND_INDIRECT_PROBE -> Envelope.Kind.INDIRECT_PROBE;
            case KIND_PROBE_REPLY -> Envelope.Kind.PROBE_REPLY;
            case KIND_PROBE_FAILED -> Envelope.Kind.PROBE_FAILED;
            case KIND_DIRECTORY -> Envelope.Kind.DIRECTORY;
            case KIND_NOTICE -> Envelope.Kind.NOTICE;
            case KIND_UNSPECIFIED, UNRECOGNIZED -> throw new MalformedEnvelopeException("kind " + kind
                    + " is not a known envelope kind");
        };
    }

    private static String name(String what, String value, boolean mayBeBlank) {
        if (!mayBeBlank && value.isBlank()) {
            throw new MalformedEnvelopeException(what + " is blank");
        }
        bounded(what, value);
        return value;
    }

    private static void bounded(String what, String value) {
        if (value.length() > MAX_NAME_LENGTH) {
            throw new EnvelopeBeyondBoundsException(what + " is " + value.length() + " characters long, more than "
                    + MAX_NAME_LENGTH, false);
        }
    }

    /**
     * Checks a name that comes from the silos' configuration (a silo id, a host), not from the call: over the
     * bound, it is a misconfigured silo, not the caller's fault.
     */
    private static void configured(String what, String value) {
        if (value.length() > MAX_NAME_LENGTH) {
            throw new EnvelopeBeyondBoundsException(what + " is " + value.length() + " characters long, more than "
                    + MAX_NAME_LENGTH + " (the silos' configuration, not the call)", true);
        }
    }

    /**
     * Checks the number of metadata entries and each key. A blank metadata key is beyond the bounds, not
     * malformed: an {@link Envelope}, {@code RequestContext} and call filters refuse only null keys, so an
     * application can put one in the metadata, and a silo of the same protocol version from before
     * {@link #checkBounds} sends it.
     */
    private static void metadataWithinBounds(Map<String, String> metadata) {
        if (metadata.size() > MAX_METADATA_ENTRIES) {
            throw new EnvelopeBeyondBoundsException(metadata.size() + " metadata entries, more than "
                    + MAX_METADATA_ENTRIES);
        }
        for (String key : metadata.keySet()) {
            if (key.isBlank()) {
                throw new EnvelopeBeyondBoundsException("metadata key " + shown(key) + " is blank");
            }
            if (key.length() > MAX_NAME_LENGTH) {
                throw new EnvelopeBeyondBoundsException("metadata key " + shown(key) + " is " + key.length()
                        + " characters long, more than " + MAX_NAME_LENGTH);
            }
        }
    }

    /** A metadata key as a refusal shows it: quoted, its first {@link #SHOWN_KEY_LENGTH} characters, escaped. */
    private static String shown(String key) {
        return "'" + PeerText.safe((key.length() > SHOWN_KEY_LENGTH) ? key.substring(0, SHOWN_KEY_LENGTH) + "..." : key)
                + "'";
    }

    private static byte[] bytes(ByteString payload) {
        return payload.isEmpty() ? Envelope.noPayload() : payload.toByteArray();
    }

    /**
     * A frame is not an envelope that a Quark silo of the same protocol version sends: of no known kind or lane
     * (the sender writes only its own enums' values), with a blank silo id ({@code SiloRouting.Builder} and
     * {@code SiloEntry} refuse blank silo ids, and an answer reuses a source id checked on receipt), a blank source
     * host or a source port out of range ({@link SiloAddress} refuses those) or a negative forward count
     * ({@link Envelope} refuses it).
     */
    static final class MalformedEnvelopeException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        MalformedEnvelopeException(String message) {
            super(message);
        }
    }

    /**
     * An envelope over the bounds ({@link #MAX_METADATA_ENTRIES}, {@link #MAX_NAME_LENGTH}) or with a blank metadata
     * key (an application's metadata or names too large, or a blank key it put in the metadata): a sender refuses it
     * ({@link #checkBounds}), and a receiver refuses one a silo of the same protocol version from before that check
     * sent.
     */
    static final class EnvelopeBeyondBoundsException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        private final boolean configuration;

        EnvelopeBeyondBoundsException(String message) {
            this(message, false);
        }

        EnvelopeBeyondBoundsException(String message, boolean configuration) {
            super(message);
            this.configuration = configuration;
        }

        /**
         * What a sender's call fails with and a receiver's refusal says: {@code BEYOND_BOUNDS} for what the call
         * carries (its metadata, actor id, request id, actor type), {@code OTHER} for a silo id or host over the
         * bound, the silos' configuration rather than the call's fault.
         */
        EnvelopeRejectedException.Reason reason() {
            return this.configuration ? EnvelopeRejectedException.Reason.OTHER
                    : EnvelopeRejectedException.Reason.BEYOND_BOUNDS;
        }
    }
}
