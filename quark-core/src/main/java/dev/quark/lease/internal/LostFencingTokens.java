package dev.quark.lease.internal;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.LeaseStore;

/**
 * Tells a lease store that lost its fencing tokens from a newer owner of a resource, and brings the store back above
 * the stamps of the guarded data. An area stamps its rows with its leases' tokens and refuses a stamp when the row
 * holds a greater token. While the lease that was refused is still valid, no other owner can have been granted the
 * resource since (the store grants one unexpired lease per resource), so a greater stamp was written with a token the
 * store issued before it lost its tokens (Redis restarted without persistence, a lease table restored from an older
 * backup, {@code quark.leases.backend} switched). Left alone, such a store hands out tokens below the stamps until its
 * counter catches up, the rows refuse every stamp, and the area stops. So the stamps are read ({@link Stamps}), the
 * store's tokens raised above them ({@link LeaseStore#raiseTokensAbove}), and the caller releases the lease: the next
 * claim gets a token that stamps. A stamp read while the lease is no longer valid may be a newer owner's, and proves
 * nothing: that is a take-over, and nothing is raised. The lease's validity is judged twice: on the caller's clock
 * before the stamps are read, and by the store after, which {@link LeaseStore#check checks} that the lease is still
 * the resource's current one (from the highest stamp down, until one is: only the highest is raised); so a node whose clock missed a pause, and believes in a lease the store gave another
 * owner since, does not take that owner's stamp for lost tokens. A store or area that cannot do its part is logged at
 * {@code ERROR}, and nothing else changes.
 * <p>
 * The raise is for the store's counter: one call per claim round, with the highest stamp found and that resource,
 * lifts a store that draws all resources' tokens from one counter (Quark's {@code LeaseStore}s) above every stamp at
 * once. A store with tokens per resource raises that resource's only; every further claim round then raises the highest
 * stamp still refused, so its resources come back one per round.
 * <p>
 * Each incident (a resource and the stamp that refused it) is logged once, at the level the area chose (a failed raise
 * at {@code WARN}); while it lasts (the store cannot raise, the raise keeps failing) the claim rounds that find it again
 * log at {@code DEBUG}. Its resources are counted once too, in the area's metrics (the {@code lost} callback) and in the
 * {@link Losses} kept here. Used by the reminders' bucket leases and the event subscriptions' followers; internal
 * (its API, {@link Level} included, may change), in {@code dev.quark.lease.internal} since the package
 * {@code dev.quark.lease} is public API.
 */
public final class LostFencingTokens {

    private static final Logger logger = LoggerFactory.getLogger(LostFencingTokens.class);

    /** The most resources a log line names one by one. */
    private static final int NAMED = 10;

    private final LeaseStore store;

    private final Stamps stamps;

    private final Subject subject;

    private final Level incidentLevel;

    private final IntConsumer lost;

    private final Clock clock;

    /** Per resource, the stamp of the last incident logged: a resource found with it again is logged at DEBUG. */
    private final Map<String, FencingToken> reported = new ConcurrentHashMap<>();

    private volatile boolean stampsCannotTellReported;

    /** Whether the store was found unable to check a lease ({@link LeaseStore#check} unsupported): logged once. */
    private volatile boolean checkCannotTellReported;

    /** Whether a check of a lease failed since the last that did not: logged at WARN once, then at DEBUG. */
    private volatile boolean checkFailedReported;

    private final AtomicReference<Losses> losses = new AtomicReference<>(Losses.NONE);

    /**
     * Creates the recovery of one area.
     * @param store the store whose tokens are raised
     * @param stamps reads the stamps the area's rows hold
     * @param subject how the logs name the area's resources
     * @param incidentLevel the level of an incident's first log line: {@code ERROR} where a person must look,
     * {@code WARN} where the area recovers by itself
     * @param lost counts the resources of each new incident (the area's metrics); what it throws is logged
     * @param clock the clock that computes the leases' validity
     */
    public LostFencingTokens(LeaseStore store, Stamps stamps, Subject subject, Level incidentLevel, IntConsumer lost,
            Clock clock) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.stamps = Objects.requireNonNull(stamps, "stamps must not be null");
        this.subject = Objects.requireNonNull(subject, "subject must not be null");
        this.incidentLevel = Objects.requireNonNull(incidentLevel, "incidentLevel must not be null");
        this.lost = Objects.requireNonNull(lost, "lost must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
    }

    /**
     * Looks at leases whose stamp the area refused and, for those still valid once their stamps are read whose rows
     * hold a greater stamp, raises the store's tokens above the highest. Never throws: what cannot be done is logged,
     * and the next claim tries again.
     * @param refused the leases whose stamp was refused
     * @return what was found and done
     */
    public Recovery recover(List<Lease> refused) {
        return recover(refused, (String) null);
    }

    /**
     * As {@link #recover(List)}, but when {@code holdBack} is given finds and reports the lost tokens without raising
     * the store's: the area judged that raising again would do harm (two live lease stores on one table, each raised
     * above the other's stamps in turn).
     * @param refused the leases whose stamp was refused
     * @param holdBack why the store's tokens are not raised, {@code null} to raise them
     * @return what was found and done: {@link Outcome#HELD_BACK} when tokens were found lost and not raised
     */
    public Recovery recover(List<Lease> refused, @Nullable String holdBack) {
        return recover(refused, (highest) -> holdBack);
    }

    /**
     * As {@link #recover(List, String)}, but the area judges whether to hold the raise back once the highest stamp
     * found is known: a stamp above the one it raised the store's tokens above a moment ago tells two live lease stores
     * apart from a store that has not yet been raised for every resource.
     * @param refused the leases whose stamp was refused
     * @param holdBack given the highest stamp found above a valid lease's token (a lost token), returns why the store's
     * tokens are not raised, or {@code null} to raise them
     * @return what was found and done: {@link Outcome#HELD_BACK} when tokens were found lost and not raised
     */
    public Recovery recover(List<Lease> refused, Function<FencingToken, @Nullable String> holdBack) {
        Instant now = this.clock.instant();
        List<Lease> valid = refused.stream().filter((lease) -> lease.isValidAt(now)).toList();
        if (valid.size() < refused.size()) {
            logger.warn("{} of {} leases hold newer fencing tokens than granted; releasing them",
                    capitalized(this.subject.plural()),
                    refused.stream().filter((lease) -> !lease.isValidAt(now)).toList());
        }
        if (valid.isEmpty()) {
            return Recovery.NONE;
        }
        Map<String, FencingToken> read;
        try {
            read = this.stamps.of(valid);
        }
        catch (UnsupportedOperationException ex) {
            log(this.stampsCannotTellReported ? Level.DEBUG : Level.ERROR,
                    "The stamps of {} {} refused their valid leases' tokens, and they cannot tell whether the lease "
                            + "store lost its tokens: {}", this.subject.plural(), ids(valid), ex.getMessage());
            this.stampsCannotTellReported = true;
            return Recovery.NONE;
        }
        catch (RuntimeException ex) {
            logger.warn("Could not read the stamps of {} {} that refused their valid leases' tokens; trying again at "
                    + "the next claim: {}", this.subject.plural(), ids(valid), ex.toString());
            return Recovery.NONE;
        }
        List<Lost> newer = new ArrayList<>();
        List<Lease> notNewer = new ArrayList<>();
        for (Lease lease : valid) {
            FencingToken stamp = read.get(lease.resource());
            if (stamp != null && stamp.isNewerThan(lease.token())) {
                newer.add(new Lost(lease, stamp));
            }
            else {
                notNewer.add(lease);
            }
        }
        if (!notNewer.isEmpty()) {
            logger.warn("The {} refused the stamps of leases {} but read back no newer stamp for them (removed or "
                    + "rewritten meanwhile?); releasing them", this.subject.plural(), notNewer);
        }
        newer.sort(Comparator.comparing(Lost::stamp).reversed());
        List<Lost> found;
        try {
            found = current(newer);
        }
        catch (UnsupportedOperationException ex) {
            log(this.checkCannotTellReported ? Level.DEBUG : Level.ERROR, "The lease store {} cannot check whether "
                    + "it still holds the leases of {} {} refused by greater stamps, so it cannot tell lost tokens from "
                    + "a take-over; raising nothing: {}", this.store, this.subject.plural(), ids(valid),
                    ex.getMessage());
            this.checkCannotTellReported = true;
            return Recovery.NONE;
        }
        catch (RuntimeException ex) {
            log(this.checkFailedReported ? Level.DEBUG : Level.WARN, "Could not ask the lease store {} whether it "
                    + "still holds the leases of {} {} refused by greater stamps; trying again at the next claim: {}",
                    this.store, this.subject.plural(), ids(valid), ex.toString());
            this.checkFailedReported = true;
            return Recovery.NONE;
        }
        this.checkFailedReported = false;
        if (found.isEmpty()) {
            return Recovery.NONE;
        }
        int fresh = 0;
        for (Lost resource : found) {
            fresh += resource.stamp().equals(this.reported.put(resource.lease().resource(), resource.stamp())) ? 0 : 1;
        }
        if (fresh > 0) {
            int resources = fresh;
            this.losses.updateAndGet((before) -> before.plus(resources, now));
            count(fresh);
        }
        Lost highest = found.get(0);
        @Nullable String heldBack = holdBack.apply(highest.stamp());
        if (heldBack != null) {
            log((fresh > 0) ? this.incidentLevel : Level.DEBUG, "The lease store {} granted valid leases on {} {} "
                    + "with fencing tokens below the stamps they hold; not raising its tokens: {}: {}", this.store,
                    found.size(), this.subject.plural(), heldBack, describe(found));
            return new Recovery(Outcome.HELD_BACK, highest.stamp(), heldBack);
        }
        Level incident = (fresh > 0) ? this.incidentLevel : Level.DEBUG;
        log(incident, "The lease store {} granted valid leases on {} {} with fencing tokens below the stamps they "
                + "hold, so every write of theirs would be refused: the store lost its tokens (Redis restarted "
                + "without persistence?). Raising its tokens above the stamps and claiming them again: {}", this.store,
                found.size(), this.subject.plural(), describe(found));
        List<Lease> leases = found.stream().map(Lost::lease).toList();
        // Above every stamp read, not only the refused leases': an area that reads the stamps of all its resources
        // (the reminders read every bucket's) has one raise cover every stamp written before the loss.
        FencingToken ceiling = read.values().stream().max(Comparator.naturalOrder()).orElse(highest.stamp());
        FencingToken above = ceiling.isNewerThan(highest.stamp()) ? ceiling : highest.stamp();
        try {
            this.store.raiseTokensAbove(highest.lease().resource(), above);
            return new Recovery(Outcome.RAISED, above, null);
        }
        catch (UnsupportedOperationException ex) {
            log((fresh > 0) ? Level.ERROR : Level.DEBUG, "Cannot raise the lease store's tokens, so {} {} work again "
                    + "only once the store's tokens exceed their stamps: {}", this.subject.plural(), ids(leases),
                    ex.getMessage());
            return new Recovery(Outcome.CANNOT_RAISE, highest.stamp(), String.valueOf(ex.getMessage()));
        }
        catch (RuntimeException ex) {
            log((fresh > 0) ? Level.WARN : Level.DEBUG, "Could not raise the lease store's tokens above the stamps of "
                    + "{} {}; trying again at the next claim: {}", this.subject.plural(), ids(leases), ex.toString());
            return new Recovery(Outcome.RAISE_FAILED, highest.stamp(), ex.toString());
        }
    }

    /**
     * The leases refused by greater stamps that show the store lost its tokens, highest stamp first. They are checked
     * ({@link #isCurrent}) from the highest stamp down only until one is current or already reported, since only the
     * highest is raised:
     * one round trip per claim round rather than one per refused lease. A resource found with the stamp already
     * reported is not checked again (it was current when first found, and a take-over would have stamped it anew); the
     * leases below the first current one are taken as lost with it, unchecked: the store evidently went back. The ones
     * found no longer current were taken over, and are only released.
     * @param newer the refused leases whose rows hold greater stamps, highest stamp first
     * @throws RuntimeException when the store cannot be asked
     */
    private List<Lost> current(List<Lost> newer) {
        List<Lost> found = new ArrayList<>();
        List<Lease> takenOver = new ArrayList<>();
        boolean checked = false;
        for (Lost candidate : newer) {
            if (checked || candidate.stamp().equals(this.reported.get(candidate.lease().resource()))) {
                found.add(candidate);
                checked = true;
            }
            else if (isCurrent(candidate.lease())) {
                found.add(candidate);
                checked = true;
            }
            else {
                takenOver.add(candidate.lease());
            }
        }
        if (!takenOver.isEmpty()) {
            logger.debug("The {} refused the stamps of leases {} for greater ones, and the store no longer holds "
                    + "those leases: taken over by a newer owner; releasing them", this.subject.plural(), takenOver);
        }
        return found;
    }

    /**
     * Whether the store still holds the lease, on its own clock: then no other owner was granted the resource since
     * the lease was, and a greater stamp read meanwhile is no newer owner's.
     * @throws RuntimeException when the store cannot be asked: whether the tokens were lost is then unknown
     */
    private boolean isCurrent(Lease lease) {
        try {
            this.store.check(lease.resource(), lease.token());
            return true;
        }
        catch (LeaseLostException ex) {
            return false;
        }
    }

    /**
     * Returns the resources found so far with lost tokens, each counted once per incident, as the {@code lost}
     * callback counted them.
     * @return the resources and when the last incident was found
     */
    public Losses losses() {
        return this.losses.get();
    }

    private static void log(Level level, String format, @Nullable Object... arguments) {
        logger.atLevel(level).log(format, arguments);
    }

    /** What the area's metrics throw is logged, and changes nothing about the recovery. */
    private void count(int resources) {
        try {
            this.lost.accept(resources);
        }
        catch (RuntimeException ex) {
            logger.warn("The metrics of {} failed: {}", this.subject.plural(), ex.toString());
        }
    }

    private List<String> ids(List<Lease> leases) {
        return leases.stream().map((lease) -> this.subject.id().apply(lease.resource())).toList();
    }

    private String describe(List<Lost> found) {
        String named = found.stream()
            .limit(NAMED)
            .map((resource) -> this.subject.singular() + " " + this.subject.id().apply(resource.lease().resource())
                    + " (token " + resource.lease().token() + ", stamp " + resource.stamp() + ")")
            .collect(Collectors.joining(", "));
        return (found.size() > NAMED) ? named + " and " + (found.size() - NAMED) + " more" : named;
    }

    private static String capitalized(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    /**
     * Reads the stamps that an area's rows hold for the resources of some leases.
     */
    @FunctionalInterface
    public interface Stamps {

        /**
         * Reads the stamps.
         * @param leases the leases whose resources' stamps to read
         * @return per resource, the token its row holds; a resource without a stamp may be left out. It may hold more
         * resources than the leases': the store's tokens are raised above the greatest of all, so that an area that
         * returns all of its resources' stamps is raised above every stamp written before its store lost its tokens
         * in one go
         * @throws UnsupportedOperationException when the area cannot read its stamps: nothing is raised, and the
         * incident is logged at {@code ERROR} once
         */
        Map<String, FencingToken> of(List<Lease> leases);
    }

    /**
     * How the logs name an area's resources.
     * @param singular one of them, before its id: {@code bucket}
     * @param plural several, with the area: {@code reminder buckets}
     * @param id a resource's id in the logs: the bucket's number, the subscription's quoted name
     */
    public record Subject(String singular, String plural, Function<String, String> id) {
    }

    /** What a {@link #recover} found and did. */
    public enum Outcome {

        /** No valid lease was refused by a greater stamp: a newer owner's take-over, or the stamps could not tell. */
        NONE,

        /** The store's tokens were raised above the highest stamp: the next claim on a new lease stamps. */
        RAISED,

        /** The store cannot raise its tokens ({@link LeaseStore#raiseTokensAbove} unsupported). */
        CANNOT_RAISE,

        /** The raise failed: tried again at the next claim. */
        RAISE_FAILED,

        /** Tokens were found lost, and the area asked not to raise them ({@link #recover(List, String)}). */
        HELD_BACK
    }

    /**
     * What a {@link #recover} found and did.
     * @param outcome what it did
     * @param stamp the highest stamp found above a valid lease's token, {@code null} for {@link Outcome#NONE}; for
     * {@link Outcome#RAISED} the stamp the store's tokens were raised above: the greatest the area read, which is
     * greater when it read stamps beyond the refused leases' ({@link Stamps#of})
     * @param failure why the store's tokens were not raised, {@code null} unless {@link Outcome#CANNOT_RAISE},
     * {@link Outcome#RAISE_FAILED} or {@link Outcome#HELD_BACK}
     */
    public record Recovery(Outcome outcome, @Nullable FencingToken stamp, @Nullable String failure) {

        static final Recovery NONE = new Recovery(Outcome.NONE, null, null);
    }

    /**
     * The resources found with lost tokens since start, and when the last of them was found.
     * @param resources how many, each counted once per incident
     * @param last when the claim round that found the last incident began, {@code null} before the first
     */
    public record Losses(long resources, @Nullable Instant last) {

        /** None found. */
        public static final Losses NONE = new Losses(0, null);

        Losses plus(int more, Instant at) {
            return new Losses(this.resources + more, at);
        }
    }

    /** A resource whose valid lease's token is below its stamp. */
    private record Lost(Lease lease, FencingToken stamp) {
    }
}
