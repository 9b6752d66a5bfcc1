package dev.quark.cluster.transport;

import java.util.Map;
import java.util.Objects;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.runtime.ActorAddress;

import org.jspecify.annotations.Nullable;

/**
 * One message between two silos: a call, its answer, a probe, or a hand-off of an actor. Transports carry it
 * as it is, field by field; what the payload means depends on the {@link Kind}.
 * <p>
 * The payload array is not copied: neither the sender nor a transport changes it once the envelope exists.
 *
 * @param messageId this message's id, unique among the messages its source silo sends
 * @param correlationId for an answer, the {@code messageId} of the request it answers; for a request, its own id
 * @param kind what the message is
 * @param sourceSiloId the silo that sent the request (answers: the silo that answers)
 * @param sourceEpoch the incarnation of the source silo, which its answers are addressed to
 * @param sourceAddress where the source silo listens, so that an answer can reach it even when the answering
 * silo's view does not know it yet
 * @param targetSiloId the silo the message is for
 * @param targetEpoch the incarnation of the target the sender knows; a silo refuses a message for an earlier
 * incarnation of itself
 * @param actorType the actor type name of the called actor, for calls and hand-offs; {@code null} otherwise
 * @param actorId the id of the called actor, for calls and hand-offs; {@code null} otherwise
 * @param methodId the method id of a call, 0 otherwise
 * @param payload the serialized arguments (requests), result (responses), failure (errors) or probe details
 * @param callChainId the call chain of a call, so that calls back into the chain are let in
 * @param requestId the request id of a call, {@code null} to derive one from the chain id
 * @param metadata the caller's metadata
 * @param deadlineEpochMillis when the message stops mattering, in epoch milliseconds; a call still waiting
 * past it is not run
 * @param membershipVersion the membership version of the sender's view, so that a silo with an older view
 * knows to read the table again
 * @param membershipIncarnation the incarnation of the membership table the sender's view was read from
 * ({@code dev.quark.cluster.membership.ClusterView#incarnation()}), empty when not known: versions compare only
 * within one incarnation, so a silo whose view comes from another incarnation reads the table again instead of
 * comparing the numbers
 * @param forwardCount how many times silos that do not own the called actor passed the call on before this
 * envelope
 */
public record Envelope(long messageId, long correlationId, Kind kind, String sourceSiloId, long sourceEpoch,
        SiloAddress sourceAddress, String targetSiloId, long targetEpoch, @Nullable String actorType,
        @Nullable String actorId, int methodId, byte[] payload, long callChainId, @Nullable String requestId,
        Map<String, String> metadata, long deadlineEpochMillis, long membershipVersion, String membershipIncarnation,
        int forwardCount) {

    private static final byte[] EMPTY = new byte[0];

    /** The {@code membershipIncarnation} of an envelope whose sender's table incarnation is not known. */
    public static final String NO_INCARNATION = "";

    /**
     * Validates the components and copies the metadata.
     */
    public Envelope {
        Objects.requireNonNull(kind, "kind must not be null");
        Objects.requireNonNull(sourceSiloId, "sourceSiloId must not be null");
        Objects.requireNonNull(sourceAddress, "sourceAddress must not be null");
        Objects.requireNonNull(targetSiloId, "targetSiloId must not be null");
        Objects.requireNonNull(payload, "payload must not be null");
        Objects.requireNonNull(membershipIncarnation, "membershipIncarnation must not be null");
        metadata = Map.copyOf(metadata);
        if (forwardCount < 0) {
            throw new IllegalArgumentException("Forward count must not be negative, was " + forwardCount);
        }
    }

    /**
     * Creates an envelope whose sender's table incarnation is not known ({@link #NO_INCARNATION}): its
     * membership version is compared as if it came from the receiver's incarnation.
     */
    public Envelope(long messageId, long correlationId, Kind kind, String sourceSiloId, long sourceEpoch,
            SiloAddress sourceAddress, String targetSiloId, long targetEpoch, @Nullable String actorType,
            @Nullable String actorId, int methodId, byte[] payload, long callChainId, @Nullable String requestId,
            Map<String, String> metadata, long deadlineEpochMillis, long membershipVersion, int forwardCount) {
        this(messageId, correlationId, kind, sourceSiloId, sourceEpoch, sourceAddress, targetSiloId, targetEpoch,
                actorType, actorId, methodId, payload, callChainId, requestId, metadata, deadlineEpochMillis,
                membershipVersion, NO_INCARNATION, forwardCount);
    }

    /**
     * Returns an empty payload, for messages that carry none.
     * @return an empty array, shared
     */
    public static byte[] noPayload() {
        return EMPTY;
    }

    /**
     * Returns the called actor.
     * @return the address
     * @throws IllegalStateException when the envelope names no actor
     */
    public ActorAddress address() {
        if (this.actorType == null || this.actorId == null) {
            throw new IllegalStateException("A " + this.kind + " envelope from silo " + this.sourceSiloId
                    + " names no actor (type " + this.actorType + ", id " + this.actorId + ")");
        }
        return new ActorAddress(this.actorType, this.actorId);
    }

    @Override
    public String toString() {
        return this.kind + " #" + this.messageId
                + ((this.correlationId != this.messageId) ? " re #" + this.correlationId : "")
                + " " + this.sourceSiloId + " -> " + this.targetSiloId
                + ((this.actorType != null) ? " " + this.actorType + "/" + this.actorId : "")
                + ((this.methodId != 0) ? " method 0x" + Integer.toHexString(this.methodId) : "")
                + ((this.forwardCount > 0) ? " forwarded " + this.forwardCount + "x" : "");
    }

    /**
     * What an envelope is, and on which {@link Lane} it travels.
     */
    public enum Kind {

        /** A call whose caller waits for a {@link #RESPONSE} or an {@link #ERROR}. */
        REQUEST(Lane.CALL),

        /** A call nobody waits for: no answer. */
        ONE_WAY(Lane.CALL),

        /** The result of a {@link #REQUEST}: the payload is the encoded result. */
        RESPONSE(Lane.REPLY),

        /** The failure of a {@link #REQUEST} or a {@link #HANDOFF}: the payload is the encoded exception. */
        ERROR(Lane.REPLY),

        /**
         * Asks the previous owner of an actor to give it up: deactivate its activation, if any, and confirm with
         * {@link #HANDOFF_ACK}, so that the new owner can activate it. The previous owner passes it on to the
         * owners before it that its own views show (metadata {@code quark-handoff-asked}: the silos asked already;
         * {@code quark-handoff-hops}: how many times it was passed on). Refused with an {@link #ERROR}, marked
         * {@code quark-handoff-busy} when the activation is still ending (ask again), or naming the earlier owners
         * that did not give it up ({@code quark-not-released}; those of them that refused, rather than did not
         * answer, also in {@code quark-handoff-refused}: ask again).
         */
        HANDOFF(Lane.CALL),

        /**
         * The previous owner, and the earlier owners it asked in turn, hold no activation of the actor of a
         * {@link #HANDOFF} and will start none.
         */
        HANDOFF_ACK(Lane.REPLY),

        /**
         * Asks the silo that owns the directory partition of the actor to register, look up or remove where an
         * activation of it lives, or to take an entry over; the payload is a
         * {@code dev.quark.cluster.directory.DirectoryRequest}. Answered by a {@link #RESPONSE} whose payload is
         * the entry, or an {@link #ERROR}.
         */
        DIRECTORY(Lane.CALL),

        /**
         * A one-way message from a service of one silo to the same service on another, outside any actor's
         * mailbox: the {@code topic} metadata names the service, the payload is its own. Reminders use it to tell
         * the owner of a bucket of a registration made elsewhere. No answer.
         */
        NOTICE(Lane.CALL),

        /** Are you alive? Answered by {@link #PROBE_REPLY}. */
        PROBE(Lane.PROBE),

        /**
         * Asks a silo to probe another one and say whether it answered, to tell a dead silo from a broken link;
         * the payload names the silo to probe.
         */
        INDIRECT_PROBE(Lane.PROBE),

        /** The answer to a {@link #PROBE}, or to an {@link #INDIRECT_PROBE} whose target answered. */
        PROBE_REPLY(Lane.PROBE),

        /** A probe failed: the payload says why, in UTF-8 text. */
        PROBE_FAILED(Lane.PROBE);

        private final Lane lane;

        Kind(Lane lane) {
            this.lane = lane;
        }

        /**
         * Returns the lane the kind travels on.
         * @return the lane
         */
        public Lane lane() {
            return this.lane;
        }

        /**
         * Returns whether the kind answers an earlier message, named by the correlation id.
         * @return {@code true} for answers
         */
        public boolean isAnswer() {
            return this == RESPONSE || this == ERROR || this == HANDOFF_ACK || this == PROBE_REPLY
                    || this == PROBE_FAILED;
        }
    }

    /**
     * The lanes a transport keeps apart between two silos, each in order: calls must not overtake each other
     * (messages from one caller run in the order sent), answers must not wait behind calls that wait for room
     * in a full mailbox, and probes must never wait behind either, or slow calls would look like a dead silo.
     */
    public enum Lane {

        /** Requests, one-way calls, hand-offs and directory requests, in the order sent. */
        CALL,

        /** Answers to requests and hand-offs. */
        REPLY,

        /** Probes and their answers. */
        PROBE
    }
}
