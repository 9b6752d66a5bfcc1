package dev.quark.cluster.routing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the other silos have read that this one is leaving before it goes: a leaving silo
 * ({@code SHUTTING_DOWN} in its view) sends each silo of its view a notice naming the membership version of its
 * leave, and each answers once its own view has reached that version (it reads the table at once if it is behind).
 * The answer travels on the same lane as that silo's calls, after them: once it has arrived, every call that silo
 * routed with a view in which the leaver still owned actors has arrived too, and is counted by the leaver's wait
 * for idleness (it refuses such calls, and their callers send them again where their actors live now). Without
 * this, a silo that had not read the leave yet could send calls to the leaver after it closed its transport, and
 * they would fail with an unknown outcome.
 * <p>
 * A silo that does not answer (unreachable, or a version without this notice during a rolling upgrade) is waited
 * for at most the wait given to {@link #awaitSeen}, and not at all once its view shows it dead or gone.
 * <p>
 * The cluster clients the leaver holds links to (those it heard from and has not closed for being idle,
 * {@link IdleClientLinks}) get the same notice at the address and incarnation their envelopes came from — at
 * every such address, when one client id was heard from at several (it restarted at another address within the
 * idle timeout, or replicas share an id) — and answer it the same way: a client's routing is a
 * {@link SiloRouting} too, so it reads the table at once and answers once its view shows the leave, after the
 * calls it routed to the leaver with its older view. A client is waited for within the same bound as the silos,
 * each of its addresses until its link fails (a refused connection fails at once, an address that does not answer
 * only when the transport gives up on it) or the client id has answered; once the links to all its addresses have
 * failed it is not waited for, since it could not get the leaver's answers either.
 */
final class LeaveAnnouncements {

    /** The topic of a leaving silo's notice. */
    static final String LEAVING_TOPIC = "quark-leaving";

    /** The topic of the answer of a silo that has read a leave. */
    static final String SEEN_TOPIC = "quark-leave-seen";

    private static final byte FORMAT = 1;

    /** How long a silo waits to read a leave's version before it gives up answering (its waiter is let go). */
    private static final long ANSWER_WITHIN_SECONDS = 30;

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private static final Logger logger = LoggerFactory.getLogger(LeaveAnnouncements.class);

    private final String self;

    private final ViewTracker views;

    private final SiloNotices notices;

    private final SiloBinding silo;

    private final Executor executor;

    /** The cluster clients this silo holds links to. */
    private final Supplier<? extends Collection<Peer>> clients;

    /** The version each silo last answered for. */
    private final Map<String, Long> seenBy = new ConcurrentHashMap<>();

    LeaveAnnouncements(String self, ViewTracker views, SiloNotices notices, SiloBinding silo, Executor executor,
            Supplier<? extends Collection<Peer>> clients) {
        this.self = self;
        this.clients = clients;
        this.views = views;
        this.notices = notices;
        this.silo = silo;
        this.executor = executor;
        notices.handleWithView(LEAVING_TOPIC, this::leavingReceived);
        notices.handle(SEEN_TOPIC, this::seenReceived);
    }

    /**
     * Returns whether this silo's own entry is {@code SHUTTING_DOWN} in its current view.
     */
    boolean isLeaving() {
        SiloEntry own = this.views.current().membership().silos().get(this.self);
        return own != null && own.status() == SiloStatus.SHUTTING_DOWN;
    }

    /**
     * Tells the other silos of the current view, and the cluster clients this silo holds links to, that this silo
     * is leaving and waits until each has answered that it read the leave — or, for a silo, is dead or gone in
     * this silo's view; for a client, its link failed at every address it was heard from — or the deadline has
     * passed.
     * @param deadlineNanos the {@link System#nanoTime()} to stop waiting at
     * @return the silos and clients that did not answer in time, both empty when all did
     */
    Unanswered awaitSeen(long deadlineNanos) {
        ClusterView view = this.views.current();
        long version = view.version();
        Set<String> awaited = ConcurrentHashMap.newKeySet();
        byte[] payload = encode(this.self, version);
        for (SiloEntry entry : view.membership().silos().values()) {
            if (!entry.siloId().equals(this.self) && entry.status() != SiloStatus.DEAD) {
                awaited.add(entry.siloId());
                this.notices.send(entry.siloId(), LEAVING_TOPIC, payload).whenComplete((sent, failure) -> {
                    if (failure != null) {
                        logger.debug("Silo {} could not tell silo {} that it leaves: {}", this.self,
                                entry.siloId(), Messenger.unwrap(failure).getMessage());
                    }
                });
            }
        }
        // Every address a client was heard from is told, and waited for on its own: a client heard from at two
        // addresses under one id (it restarted elsewhere within the idle timeout, or replicas share an id) may
        // listen at only one of them. A failed send drops that address only; the client's answer drops them all.
        Set<Peer> awaitedClients = ConcurrentHashMap.newKeySet();
        for (Peer client : this.clients.get()) {
            if (view.membership().silos().containsKey(client.siloId()) || !awaitedClients.add(client)) {
                continue;
            }
            this.notices.send(client, LEAVING_TOPIC, payload).whenComplete((sent, failure) -> {
                if (failure != null) {
                    awaitedClients.remove(client);
                    logger.debug("Silo {} could not tell cluster client {} at {} that it leaves, and does not wait "
                            + "for it there: {}", this.self, client.siloId(), client.address(),
                            Messenger.unwrap(failure).getMessage());
                }
            });
        }
        while (true) {
            awaited.removeIf((siloId) -> this.seenBy.getOrDefault(siloId, 0L) >= version || isGone(siloId));
            awaitedClients.removeIf((client) -> this.seenBy.getOrDefault(client.siloId(), 0L) >= version);
            long remaining = deadlineNanos - System.nanoTime();
            if ((awaited.isEmpty() && awaitedClients.isEmpty()) || remaining <= 0) {
                Set<String> clientIds = new TreeSet<>();
                awaitedClients.forEach((client) -> clientIds.add(client.siloId()));
                return new Unanswered(new TreeSet<>(awaited), clientIds);
            }
            LockSupport.parkNanos(Math.min(remaining, POLL_NANOS));
        }
    }

    private boolean isGone(String siloId) {
        SiloEntry entry = this.views.current().membership().silos().get(siloId);
        return entry == null || entry.status() == SiloStatus.DEAD;
    }

    /**
     * Answers a leave once this silo's view has reached it. The leave's version is of the table the leaver's view
     * was read from, which its envelope names: a silo still on a table that lost its data reads the new one first.
     */
    private void leavingReceived(byte[] payload, SeenView leaversView) {
        Announcement leave = decode(payload);
        if (leave == null) {
            return;
        }
        SeenView seen = new SeenView(leaversView.incarnation(), leave.version());
        if (this.views.isBehind(seen)) {
            this.silo.refreshOnAnnouncement(seen, this.views.current());
        }
        this.views.awaitView(seen)
            .orTimeout(ANSWER_WITHIN_SECONDS, TimeUnit.SECONDS)
            .whenCompleteAsync((view, failure) -> {
                if (failure == null && !isGone(leave.siloId())) {
                    this.notices.send(leave.siloId(), SEEN_TOPIC, encode(this.self, leave.version()))
                        .whenComplete((sent, sendFailure) -> {
                            if (sendFailure != null) {
                                logger.debug("Silo {} could not tell silo {} that it read its leave: {}", this.self,
                                        leave.siloId(), Messenger.unwrap(sendFailure).getMessage());
                            }
                        });
                }
            }, this.executor);
    }

    private void seenReceived(byte[] payload) {
        Announcement seen = decode(payload);
        if (seen != null) {
            this.seenBy.merge(seen.siloId(), seen.version(), Math::max);
        }
    }

    static byte[] encode(String siloId, long version) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(32 + siloId.length());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeUTF(siloId);
            out.writeLong(version);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    /**
     * Reads a notice of either topic; one of another format, or cut short, is dropped (and logged at debug).
     */
    static @Nullable Announcement decode(byte[] payload) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            byte format = in.readByte();
            if (format != FORMAT) {
                logger.debug("Dropped a leave notice of format {}", format);
                return null;
            }
            return new Announcement(in.readUTF(), in.readLong());
        }
        catch (IOException ex) {
            logger.debug("Dropped a malformed leave notice: {}", ex.toString());
            return null;
        }
    }

    /**
     * Who did not confirm a leave in time.
     *
     * @param silos the silos of the leaver's view
     * @param clients the cluster clients the leaver held links to
     */
    record Unanswered(Set<String> silos, Set<String> clients) {

        boolean isEmpty() {
            return this.silos.isEmpty() && this.clients.isEmpty();
        }
    }

    /** A leave notice's content: the leaving silo and its leave's version, or the answering silo and that version. */
    record Announcement(String siloId, long version) {
    }
}
