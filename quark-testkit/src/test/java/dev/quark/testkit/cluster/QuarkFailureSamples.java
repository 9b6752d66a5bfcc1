package dev.quark.testkit.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import dev.quark.actor.ActivationException;
import dev.quark.actor.ActorCallExpiredException;
import dev.quark.actor.ActorCallTimeoutException;
import dev.quark.actor.ActorException;
import dev.quark.actor.ActorRuntimeClosedException;
import dev.quark.actor.ActorUnreachableException;
import dev.quark.actor.CallRejectedException;
import dev.quark.actor.DeadlockException;
import dev.quark.actor.MailboxFullException;
import dev.quark.actor.ReminderException;
import dev.quark.actor.ReminderTurnException;
import dev.quark.cluster.CallForwardingException;
import dev.quark.cluster.NoActiveSiloException;
import dev.quark.cluster.SiloNotServingException;
import dev.quark.cluster.SiloUnavailableException;
import dev.quark.cluster.membership.MembershipConflictException;
import dev.quark.cluster.membership.UnreachablePeersException;
import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.cluster.transport.grpc.EnvelopeRejectedException;
import dev.quark.cluster.transport.grpc.HandshakeRefusedException;
import dev.quark.cluster.transport.grpc.LinkBrokenException;
import dev.quark.cluster.transport.grpc.PeerOverloadedException;
import dev.quark.cluster.transport.grpc.TlsHandshakeException;
import dev.quark.eventsourcing.EventDeserializationException;
import dev.quark.eventsourcing.EventStoreException;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.eventsourcing.TruncatedStreamException;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseHolder;
import dev.quark.lease.LeaseLostException;
import dev.quark.state.StateException;
import dev.quark.state.StateKey;
import dev.quark.state.StateSerializationException;
import dev.quark.state.StateStoreException;

/**
 * One instance of each public Quark exception a remote turn can throw, by name, and what a caller reads of
 * one: its type, message and typed fields.
 */
final class QuarkFailureSamples {

    private static final StateKey KEY = new StateKey("Account", "a-1", "balance");

    private static final Map<String, Supplier<RuntimeException>> SAMPLES = new LinkedHashMap<>();

    static {
        SAMPLES.put("actor", () -> new ActorException("plain actor failure"));
        SAMPLES.put("closed", () -> new ActorRuntimeClosedException("runtime closed"));
        SAMPLES.put("unreachable", () -> new ActorUnreachableException("no silo hosts Bank"));
        SAMPLES.put("mailbox", () -> new MailboxFullException("Bank/b-1", 8, Duration.ofMillis(250)));
        SAMPLES.put("reminderTurn", () -> new ReminderTurnException("Reminder 'fee' of Bank/b-1 threw"));
        SAMPLES.put("reminder", () -> new ReminderException("Reminder 'fee' of Bank/b-1 not saved", null));
        SAMPLES.put("activation", () -> new ActivationException("Bank/b-1", new IllegalStateException("no db")));
        SAMPLES.put("timeout", () -> new ActorCallTimeoutException("Bank/b-1", "open", Duration.ofSeconds(3)));
        SAMPLES.put("expired", () -> new ActorCallExpiredException("Bank/b-1", "open", 42));
        SAMPLES.put("callRejected", () -> new CallRejectedException("Bank/b-1", "open",
                CallRejectedException.Reason.BEYOND_BOUNDS, "The transport refused call Bank/b-1.open() (BEYOND_BOUNDS)",
                new EnvelopeRejectedException("metadata key ' ' is blank")));
        SAMPLES.put("deadlock", () -> new DeadlockException(List.of("A/1", "B/2"), "A/1 waits on B/2 waits on A/1"));
        SAMPLES.put("forwarding", () -> new CallForwardingException("forwarded 3 times"));
        SAMPLES.put("siloUnavailable", () -> new SiloUnavailableException("silo-9 was declared dead"));
        SAMPLES.put("noActiveSilo", () -> new NoActiveSiloException("no silo is active in the cluster"));
        SAMPLES.put("siloNotServing", () -> new SiloNotServingException("silo-9 is not serving"));
        SAMPLES.put("siloUnreachable", () -> new SiloUnreachableException("no link to silo-9"));
        SAMPLES.put("linkBroken", () -> new LinkBrokenException("link to silo-9 broke"));
        SAMPLES.put("peerOverloaded", () -> new PeerOverloadedException("silo-9 is overloaded"));
        SAMPLES.put("envelopeRejected", () -> new EnvelopeRejectedException("silo-9 rejected the envelope"));
        SAMPLES.put("handshakeRefused", () -> new HandshakeRefusedException("silo-9 refused the handshake"));
        SAMPLES.put("tlsHandshake", () -> new TlsHandshakeException("the TLS handshake of the link to silo-9 failed"));
        SAMPLES.put("unreachablePeers", () -> new UnreachablePeersException("silo-9 cannot reach 1 of the active "
                + "silos", null));
        SAMPLES.put("membershipConflict", () -> new MembershipConflictException("table moved to version 7"));
        SAMPLES.put("payloadCodec", () -> new PayloadCodecException("cannot decode argument 0"));
        SAMPLES.put("state", () -> new StateException(KEY, "state failed", null));
        SAMPLES.put("stateStore", () -> new StateStoreException("main", KEY, "save", new IllegalStateException("down")));
        SAMPLES.put("stateSerialization", () -> StateSerializationException.unreadable("main", KEY, Long.class,
                new IllegalArgumentException("not a number")));
        SAMPLES.put("stateConcurrency", () -> new dev.quark.state.ConcurrencyException(KEY, 3, 5));
        SAMPLES.put("eventStore", () -> new EventStoreException("orders-1", "journal down", null));
        SAMPLES.put("eventDeserialization", () -> new EventDeserializationException(new StoredEvent("orders-1", 4,
                java.util.UUID.randomUUID(), "Placed", 1, "{}", java.time.Instant.EPOCH, FeedPosition.START),
                "unknown field", null));
        SAMPLES.put("eventConcurrency", () -> new dev.quark.eventsourcing.ConcurrencyException("orders-1", 3, 4));
        SAMPLES.put("eventTruncated", () -> new TruncatedStreamException("orders-1", 40, 12));
        SAMPLES.put("eventTruncatedNoSnapshot", () -> new TruncatedStreamException("orders-1", 40, 0));
        SAMPLES.put("leaseLostKnownHolder", () -> new LeaseLostException("jobs", new FencingToken(7),
                new LeaseHolder("jobs", "silo-2", new FencingToken(8), Duration.ofSeconds(9))));
        SAMPLES.put("leaseLostNobody", () -> LeaseLostException.nobodyHolds("jobs", new FencingToken(7)));
    }

    private QuarkFailureSamples() {
    }

    static Set<String> names() {
        return SAMPLES.keySet();
    }

    static RuntimeException create(String name) {
        Supplier<RuntimeException> sample = SAMPLES.get(name);
        if (sample == null) {
            throw new IllegalArgumentException("No sample failure '" + name + "'");
        }
        return sample.get();
    }

    /** The type, message and typed fields of a failure: equal for the original and its rebuilt copy. */
    static List<Object> whatCallersRead(Throwable failure) {
        List<Object> read = new ArrayList<>(List.of(failure.getClass(), String.valueOf(failure.getMessage())));
        switch (failure) {
            case MailboxFullException full -> read.addAll(List.of(full.getActor(), full.getCapacity()));
            case ActivationException activation -> read.add(activation.getActor());
            case CallRejectedException rejected -> read.addAll(List.of(rejected.getActor(), rejected.getMethod(),
                    rejected.getReason()));
            case ActorCallTimeoutException timeout -> read.addAll(List.of(timeout.getActor(), timeout.getMethod()));
            case DeadlockException deadlock -> read.add(deadlock.getActors());
            case StateStoreException store -> read.addAll(List.of(store.getKey(), store.getStore()));
            case dev.quark.state.ConcurrencyException concurrency -> read.addAll(List.of(concurrency.getKey(),
                    concurrency.getExpectedVersion(), concurrency.getActualVersion()));
            case StateException state -> read.add(state.getKey());
            case dev.quark.eventsourcing.ConcurrencyException concurrency -> read.addAll(List.of(
                    concurrency.getStream(), concurrency.getExpectedVersion(), concurrency.getActualVersion()));
            case TruncatedStreamException truncated -> read.addAll(List.of(truncated.getStream(),
                    truncated.getTruncatedVersion(), truncated.getSnapshotVersion()));
            case EventStoreException store -> read.add(store.getStream());
            case LeaseLostException lease -> read.addAll(java.util.Arrays.asList(lease.getResource(),
                    lease.getToken(), lease.getCurrentHolder()));
            default -> {
            }
        }
        if (failure.getCause() != null) {
            read.add(whatCallersRead(failure.getCause()));
        }
        return read;
    }
}
