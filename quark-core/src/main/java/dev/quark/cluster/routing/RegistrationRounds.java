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
import dev.quark.cluster.transport.Envelope;

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
 * <p>
 * After the table lost its latest writes (a replica that missed them took over) versions are written again with
 * other entries, and a lower version may be a silo's newer word. So a report names, beside the version, its view's
 * table incarnation, a fingerprint of its silos and the sender's stamp for the view ({@link ViewTracker#installs()},
 * which only grows): of a silo's reports the one with the highest stamp counts, not the highest version; a report of a
 * version this silo has a view of with another fingerprint is another table's and is not counted, nor is one of a
 * version this silo's view went back from (the lost writes' as much as the table's written again). When this silo's
 * view goes back, the reports of versions above its new view are forgotten ({@link #wentBack}), and a round of a
 * view installed before is not reported. A report without the three (from a release without them) is merged with
 * that silo's other report by version.
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

    /** Guards what a report is checked against and recorded with: {@link #wentBackAt} and the reports. */
    private final Object recordLock = new Object();

    /** The stamp of the last view installed that went back: rounds of earlier views are not reported. */
    private long wentBackAt;

    /** Completed and replaced whenever a report arrives or the view changes: what waiters wait on. */
    private volatile CompletableFuture<Void> changed = new CompletableFuture<>();

    RegistrationRounds(String self, ViewTracker views, SiloNotices notices) {
        this.self = self;
        this.views = views;
        this.notices = notices;
        notices.handle(TOPIC, this::received);
    }

    /**
     * Records that this silo's re-registrations up to a view are done, and tells every other silo of the current
     * view that is not dead. Not for a view the table lost: one installed before this silo's view last went back, or
     * one newer than the current view or at its version with other entries.
     * @param view the view whose re-registrations are done
     * @param stamp the view's stamp ({@link ViewTracker#installs()})
     */
    void finished(ClusterView view, long stamp) {
        long version = view.version();
        long fingerprint = fingerprint(view);
        long epoch = this.views.ownEpoch();
        synchronized (this.recordLock) {
            ClusterView now = this.views.current();
            if (stamp < this.wentBackAt || ViewTracker.isNewer(view, now)
                    || (version == now.version() && !view.membership().showsSameTable(now.membership()))) {
                logger.debug("Silo {} does not report its directory registrations for membership version {} done: "
                        + "the table lost that view (its view has version {})", this.self, version, now.version());
                return;
            }
            record(this.self, new Reported(epoch, version, fingerprint, stamp));
        }
        byte[] payload = encode(this.self, epoch, version, view.incarnation(), fingerprint, stamp);
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
     * Forgets the reports of versions above a view that went back (the table lost its latest writes): they are of
     * the lost writes, or of versions written again that this silo has not read, and a silo reports again as it
     * reads the table. Until then, first registrations in ranges gained within the window wait (at most the bound).
     * @param view the view that went back
     * @param stamp its stamp
     */
    void wentBack(ClusterView view, long stamp) {
        synchronized (this.recordLock) {
            this.wentBackAt = stamp;
            this.reported.values().removeIf((round) -> round.version() > view.version());
            this.warned.values().removeIf((version) -> version > view.version());
        }
        signal();
    }

    /**
     * Wakes the waiters, to look at a new view: a silo declared dead is waited for no more, and a report of the
     * view's version with another fingerprint (a view the table lost) is forgotten.
     */
    void viewChanged() {
        ClusterView view = this.views.current();
        Map<String, SiloEntry> silos = view.membership().silos();
        long fingerprint = fingerprint(view);
        synchronized (this.recordLock) {
            // A report newer than this view comes from a silo this one does not see yet: kept.
            this.reported.entrySet().removeIf((entry) -> (!silos.containsKey(entry.getKey())
                    && entry.getValue().version() <= view.version())
                    || (entry.getValue().version() == view.version() && entry.getValue().fingerprint() != 0
                            && entry.getValue().fingerprint() != fingerprint));
        }
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
            String siloId = in.readUTF();
            long epoch = in.readLong();
            long version = in.readLong();
            String incarnation = Envelope.NO_INCARNATION;
            long fingerprint = 0;
            long stamp = 0;
            if (in.available() > 0) {
                incarnation = in.readUTF();
                fingerprint = in.readLong();
                stamp = in.readLong();
            }
            synchronized (this.recordLock) {
                if (isOfALostView(incarnation, version, fingerprint)) {
                    logger.debug("Silo {} does not count silo {}'s directory round for membership version {}: that "
                            + "version is of writes the table lost", this.self, siloId, version);
                    return;
                }
                record(siloId, new Reported(epoch, version, fingerprint, stamp));
            }
        }
        catch (IOException | RuntimeException ex) {
            logger.debug("Silo {} dropped a malformed directory round notice of {} bytes", this.self,
                    payload.length, ex);
        }
    }

    /**
     * Whether a report is of a view the table lost: a version this silo's view went back from, or (when the report
     * has a fingerprint) one it has a view of with another fingerprint.
     */
    private boolean isOfALostView(String incarnation, long version, long fingerprint) {
        SeenView seen = new SeenView(incarnation, version);
        if (this.views.isLostVersion(seen)) {
            return true;
        }
        if (fingerprint == 0) {
            return false;
        }
        ClusterView mine = this.views.viewAt(version);
        return mine != null && seen.comparableWith(mine) && fingerprint(mine) != fingerprint;
    }

    /**
     * Keeps a silo's newer report: of its newer incarnation, then of its view installed later (by the sender's stamp),
     * or the higher version when either report has no stamp. Called with the record lock held.
     */
    private void record(String siloId, Reported report) {
        this.reported.merge(siloId, report, (old, now) -> (now.epoch() != old.epoch())
                ? ((now.epoch() > old.epoch()) ? now : old)
                : (now.stamp() != 0 && old.stamp() != 0) ? ((now.stamp() > old.stamp()) ? now : old)
                : (now.version() > old.version()) ? now : old);
        signal();
    }

    private synchronized void signal() {
        CompletableFuture<Void> previous = this.changed;
        this.changed = new CompletableFuture<>();
        previous.complete(null);
    }

    /**
     * A fingerprint of a view's silos (ids, addresses, epochs, statuses), never 0: two views of one version of a
     * table with other fingerprints are of two tables, one written again after a failover lost the other. Built from
     * {@link String#hashCode()} and numbers only, which every JVM computes alike.
     */
    static long fingerprint(ClusterView view) {
        long hash = 1125899906842597L;
        for (SiloEntry entry : view.membership().silos().values()) {
            hash = 31 * hash + entry.siloId().hashCode();
            hash = 31 * hash + entry.address().host().hashCode();
            hash = 31 * hash + entry.address().port();
            hash = 31 * hash + entry.epoch();
            hash = 31 * hash + entry.status().name().hashCode();
        }
        return (hash == 0) ? 1 : hash;
    }

    private static byte[] encode(String siloId, long epoch, long version, String incarnation, long fingerprint,
            long stamp) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(siloId);
            out.writeLong(epoch);
            out.writeLong(version);
            out.writeUTF(incarnation);
            out.writeLong(fingerprint);
            out.writeLong(stamp);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    /** A silo's report; {@code fingerprint} and {@code stamp} 0 when it came without them. */
    private record Reported(long epoch, long version, long fingerprint, long stamp) {
    }
}
