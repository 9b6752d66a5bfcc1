package dev.quark.cluster.routing;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rounds of directory re-registrations that follow each view: every silo, once it has registered again,
 * with the new owners of their partitions, the activations it hosts whose partition moved in a view (and in
 * every older one), tells every other silo "my registrations for version v are done". The new owner of a
 * partition waits for those words before it lets a first activation of an address there register: an
 * activation that lives on a silo whose re-registration is still on its way would otherwise meet an empty
 * partition (its owner died, and the entries with it) and a second activation would start.
 * <p>
 * The wait ends when every silo that may host activations ({@code ACTIVE} or {@code SHUTTING_DOWN}) in the
 * current view has reported the version or a newer one in its current incarnation, or is no longer such a
 * silo, or the bound passes (measured with {@link System#nanoTime()}): then the registration goes on, with a
 * warning that names the silos that did not report (a silo cut off from this one, or one that does not see the
 * view yet); one warning per silo and version, the other registrations held for them are logged at debug.
 * A silo reports a version only when every re-registration up to it succeeded.
 */
final class RegistrationRounds {

    /** The topic of the {@link SiloNotices notices} that report a finished round. */
    static final String TOPIC = "quark-directory-round";

    private static final Logger logger = LoggerFactory.getLogger(RegistrationRounds.class);

    private final String self;

    private final ViewTracker views;

    private final SiloNotices notices;

    /** The latest round each silo reported, by silo id. */
    private final Map<String, Reported> reported = new ConcurrentHashMap<>();

    /** The newest version each silo was named for in a warning, by silo id: one warning per silo and version. */
    private final Map<String, Long> warned = new ConcurrentHashMap<>();

    /** Completed and replaced whenever a report arrives or the view changes: what waiters wait on. */
    private volatile CompletableFuture<Void> changed = new CompletableFuture<>();

    RegistrationRounds(String self, ViewTracker views, SiloNotices notices) {
        this.self = self;
        this.views = views;
        this.notices = notices;
        notices.handle(TOPIC, this::received);
    }

    /**
     * Records that this silo's re-registrations up to a version are done, and tells every other silo of the
     * current view that is not dead.
     * @param version the version of the view whose re-registrations are done
     */
    void finished(long version) {
        record(this.self, this.views.ownEpoch(), version);
        byte[] payload = encode(this.self, this.views.ownEpoch(), version);
        for (SiloEntry silo : this.views.current().membership().silos().values()) {
            if (silo.siloId().equals(this.self) || silo.status() == SiloStatus.DEAD) {
                continue;
            }
            this.notices.send(silo.siloId(), TOPIC, payload).whenComplete((ignored, failure) -> {
                if (failure != null) {
                    logger.debug("Silo {} could not tell silo {} that its directory registrations for membership "
                            + "version {} are done", this.self, silo.siloId(), version, failure);
                }
            });
        }
    }

    /**
     * Wakes the waiters, to look at a new view: a silo declared dead is waited for no more.
     */
    void viewChanged() {
        ClusterView view = this.views.current();
        Map<String, SiloEntry> silos = view.membership().silos();
        // A report newer than this view comes from a silo this one does not see yet: kept.
        this.reported.entrySet().removeIf((entry) -> !silos.containsKey(entry.getKey())
                && entry.getValue().version() <= view.version());
        this.warned.keySet().removeIf((siloId) -> !silos.containsKey(siloId));
        signal();
    }

    /**
     * Waits until every silo that may host activations in the current view has reported its re-registrations
     * up to a version done, at most for a bound.
     * @param version the version since which this silo owns the address's partition
     * @param address what is about to register, for the warning
     * @param boundMillis how long to wait at most
     * @return whether every silo reported (otherwise the bound passed, and a warning was logged)
     */
    boolean await(long version, Object address, long boundMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMillis);
        while (true) {
            CompletableFuture<Void> next = this.changed;
            ClusterView view = this.views.current();
            List<String> missing = missing(version, view);
            if (missing.isEmpty()) {
                return true;
            }
            long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remaining <= 0) {
                boolean first = false;
                for (String siloId : missing) {
                    Long before = this.warned.get(siloId);
                    this.warned.merge(siloId, version, Math::max);
                    first |= before == null || before < version;
                }
                (first ? logger.atWarn() : logger.atDebug()).log("Silo {} registers {} in its directory partition "
                        + "without the word of silos {} that their registrations for membership version {} are done (waited {} ms; its view has "
                        + "version {}): an activation of it that they host and had not registered again would run "
                        + "twice", this.self, address, missing, version, boundMillis, view.version());
                return false;
            }
            try {
                next.get(remaining, TimeUnit.MILLISECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return false;
            }
            catch (ExecutionException | TimeoutException ex) {
                // Looked at again.
            }
        }
    }

    /**
     * Returns the silos that may host activations in a view and have not reported a round.
     */
    List<String> missing(long version, ClusterView view) {
        List<String> missing = new ArrayList<>();
        for (SiloEntry silo : view.membership().silos().values()) {
            if (silo.status() != SiloStatus.ACTIVE && silo.status() != SiloStatus.SHUTTING_DOWN) {
                continue;
            }
            Reported round = this.reported.get(silo.siloId());
            if (round == null || round.epoch() != silo.epoch() || round.version() < version) {
                missing.add(silo.siloId());
            }
        }
        return missing;
    }

    private void received(byte[] payload) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            record(in.readUTF(), in.readLong(), in.readLong());
        }
        catch (IOException | RuntimeException ex) {
            logger.debug("Silo {} dropped a malformed directory round notice of {} bytes", this.self,
                    payload.length, ex);
        }
    }

    private void record(String siloId, long epoch, long version) {
        this.reported.merge(siloId, new Reported(epoch, version), (old, now) -> (now.epoch() != old.epoch())
                ? ((now.epoch() > old.epoch()) ? now : old)
                : (now.version() > old.version()) ? now : old);
        signal();
    }

    private synchronized void signal() {
        CompletableFuture<Void> previous = this.changed;
        this.changed = new CompletableFuture<>();
        previous.complete(null);
    }

    private static byte[] encode(String siloId, long epoch, long version) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(32);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(siloId);
            out.writeLong(epoch);
            out.writeLong(version);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    private record Reported(long epoch, long version) {
    }
}
