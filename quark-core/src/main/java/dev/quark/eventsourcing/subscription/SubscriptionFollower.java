package dev.quark.eventsourcing.subscription;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import dev.quark.eventsourcing.EventDeadLetter;
import dev.quark.eventsourcing.EventFeed;
import dev.quark.eventsourcing.EventSubscriptionDefinition;
import dev.quark.eventsourcing.FeedPosition;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseKeeper;
import dev.quark.lease.LeaseLostException;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.internal.LostFencingTokens;

/**
 * Follows one subscription on behalf of its runner, one {@link #step()} at a time: takes the subscription's lease
 * when it is free and claims the checkpoint with the lease's token, then reads a batch after the checkpoint and
 * handles it event by event, saving the checkpoint fenced by the token after each, as long as the lease is held and
 * the checkpoint takes the token (it refuses it once a newer holder claimed it: the subscription was taken over). A
 * claim refused while the lease just acquired is still valid, by a stamp above its token, is no take-over but a lease
 * store whose tokens went back: the follower raises the store's tokens above the stamp ({@link LostFencingTokens}) and
 * claims again on a new lease. A
 * step returns how long to wait before the next one, which is what lets tests drive it in virtual time. Steps of one follower run on one thread at a time (the runner's thread for the name, or
 * a test).
 */
final class SubscriptionFollower {

    private static final Logger logger = LoggerFactory.getLogger(SubscriptionFollower.class);

    private static final int MAX_ERROR_LENGTH = 500;

    /** Claims refused in a row after which the node logs an error: more than a pause can explain. */
    private static final int CLAIMS_REFUSED_BEFORE_ERROR = 3;

    /**
     * How many {@link #fenceWindow() fence windows} after this node raised the lease store's tokens for the
     * subscription a second incident is taken for two live lease stores on one checkpoint table rather than lost tokens,
     * and fences the node out instead of raising again. Two stores (a node-by-node switch of
     * {@code quark.leases.backend}, two deployments sharing the checkpoint table) take the checkpoint from each other as
     * soon as events come, every poll interval, each raising its store above the other's stamp; a store that truly
     * loses its tokens twice within ten lease durations is far rarer, and is fenced out like a store that cannot raise.
     */
    static final int RAISES_APART = 10;

    private final EventSubscriptionDefinition definition;

    private final String resource;

    private final EventFeed feed;

    private final LeaseKeeper keeper;

    private final SubscriptionBackoff backoff;

    private final Duration pollInterval;

    private final Duration leaseDuration;

    private final Clock clock;

    private final EventSubscriptionMetrics metrics;

    private final LostFencingTokens lostTokens;

    /** This node's share of the runner's subscriptions, shared by its followers. */
    private final SubscriptionShare share;

    private final LeaseStore store;

    /** When this node first found the subscription's lease free while at its share; {@code null} once not free. */
    private @Nullable Instant freeSince;

    /** Whether this follower holds a reservation in the share: from its grant until the claim's outcome. */
    private boolean reserving;

    /** Whether the lease store's tokens were just raised: the next step claims again on a new lease, ungated. */
    private boolean raisedJustNow;

    /** How many times in a row the handler may fail on one event before it is dead-lettered. */
    private final int maxAttempts;

    /**
     * The event the handler last failed on, until it succeeds on it or it is dead-lettered; counted apart from
     * {@link #failures}, which failures of the feed add to.
     */
    private @Nullable FeedPosition failingAt;

    /** How many times in a row the handler failed on the event at {@link #failingAt} on this node. */
    private int attemptsAt;

    /** Whether the error that the feed keeps no dead letters was logged: once per follower. */
    private boolean noDeadLettersLogged;

    /** Written by this subscription's thread only, read by {@link #status()}. */
    private volatile int deadLettered;

    /**
     * The stamp this node last raised the lease store's tokens above, until a claim is accepted: a claim refused again
     * by a stamp no greater means the store granted a token below what it was raised above, so the raise did not take
     * (a store that says it raised and did not), and the node is fenced out as when the store cannot raise.
     */
    private @Nullable FencingToken raisedAbove;

    /**
     * When this node last raised the lease store's tokens for this subscription. An accepted claim does not reset it:
     * two lease stores raised in turn get every other claim accepted. The feed keeps the latest raise of any node beside
     * the checkpoint too ({@link #lastRaise(Instant)}), which outlives this node.
     */
    private @Nullable Instant raisedAt;

    /**
     * Whether the lease store's tokens went back again within {@link #RAISES_APART} fence windows of this node's last
     * raise: the node is fenced out, raising nothing, until a claim is accepted or another node follows.
     */
    private boolean raisedAgain;

    /** Why the lease store's tokens were not raised above the stamp of the last refused claim, for the fenced-out error. */
    private @Nullable String notRaised;

    /**
     * How many claims of the checkpoint in a row were refused right after this node acquired the lease. A lease just
     * acquired carries the store's newest token, so a newer stamp means either a node that paused between its
     * acquisition and its claim (once), or a lease store whose tokens went back (every time).
     */
    private int claimsRefused;

    /**
     * When the last claim was refused: refusals further apart than a lease duration and a poll interval are not "in a
     * row" (a node retries every poll interval).
     */
    private @Nullable Instant claimRefusedAt;

    /**
     * While fenced out, when this node last saw that no other node's claim was accepted: its own claim refused or
     * failing, or the lease store not answering. It stays fenced out until another node has held the lease for a
     * {@link #fenceWindow()} after that, which only a node whose claim was accepted does: a node whose claim fails
     * otherwise than refused lets the lease go for its back-off ({@link #claimFailed}), so this node gets it meanwhile
     * and is refused again; a node that cannot reach the lease store sees nobody hold it.
     */
    private @Nullable Instant fencedOutSeenAt;

    /**
     * The fenced-out error naming the cause and the remedy: a later failure while still fenced out is added to it
     * rather than replace it.
     */
    private @Nullable String fencedOutError;

    private volatile SubscriptionState state = SubscriptionState.STANDBY;

    private volatile @Nullable FeedPosition position;

    private volatile int failures;

    private volatile @Nullable String lastError;

    private volatile boolean stopping;

    /** Written by this subscription's thread only (through {@link #lostTokens}), read by {@link #status()}. */
    private volatile int fencingTokensLost;

    private volatile @Nullable Instant lastFencingTokensLoss;

    private @Nullable Instant retryAt;

    /**
     * Whether this node's last claim failed otherwise than refused: it let the lease go and waits {@link #retryAt}
     * before acquiring it again, its failures counted on across the acquisitions, until a claim is accepted or refused.
     */
    private boolean claimFailing;

    SubscriptionFollower(EventSubscriptionDefinition definition, String resource, EventFeed feed, LeaseStore store,
            LeaseKeeper keeper, SubscriptionBackoff backoff, Duration pollInterval, Duration leaseDuration, Clock clock,
            EventSubscriptionMetrics metrics, int maxAttempts, SubscriptionShare share) {
        this.definition = definition;
        this.share = share;
        this.store = store;
        this.maxAttempts = (definition.maxAttempts() != null) ? definition.maxAttempts() : maxAttempts;
        this.resource = resource;
        this.feed = feed;
        this.keeper = keeper;
        this.backoff = backoff;
        this.pollInterval = pollInterval;
        this.leaseDuration = leaseDuration;
        this.clock = clock;
        this.metrics = metrics;
        this.lostTokens = new LostFencingTokens(store, this::stamp,
                new LostFencingTokens.Subject("subscription", "event subscriptions", (ignored) -> "'" + name() + "'"),
                Level.WARN, (lost) -> fencingTokensLost(), clock);
        try {
            metrics.started(name());
        }
        catch (RuntimeException ex) {
            logger.warn("The metrics of event subscription '{}' could not be registered", name(), ex);
        }
    }

    private void fencingTokensLost() {
        this.lastFencingTokensLoss = this.clock.instant();
        this.fencingTokensLost++;
        this.metrics.fencingTokensLost(name());
    }

    /** The checkpoint's stamp, for {@link LostFencingTokens}: the refused lease is this subscription's. */
    private Map<String, FencingToken> stamp(List<Lease> refused) {
        return this.feed.checkpointStamp(name()).map((stamp) -> Map.of(this.resource, stamp)).orElse(Map.of());
    }

    String name() {
        return this.definition.name();
    }

    /**
     * Does the next piece of work: waits out a back-off, takes the lease, or handles the next batch.
     * @return how long to wait before the next step: zero when more events are waiting, the poll interval when the
     * subscription is caught up or another node holds it, the back-off after a failure
     */
    Duration step() {
        Instant now = this.clock.instant();
        if (this.retryAt != null && now.isBefore(this.retryAt)) {
            if (this.claimFailing || heldLease(now) != null) {
                return Duration.between(now, this.retryAt);
            }
            // Lost during the back-off: stand by (or take the lease again at once if it is free).
        }
        Lease lease = heldLease(now);
        if (lease != null && this.state != SubscriptionState.FENCED_OUT && !this.claimFailing
                && this.share.isExtra(this.resource)) {
            return giveBack(lease);
        }
        if (lease == null) {
            lease = acquire();
            if (lease == null) {
                return this.pollInterval;
            }
        }
        try {
            FeedPosition after = this.position;
            if (after == null) {
                // Stamps the checkpoint with this lease's token as it reads it: older holders can no longer write it.
                try {
                    after = this.feed.claimCheckpoint(name(), lease).orElse(FeedPosition.START);
                }
                catch (LeaseLostException ex) {
                    settleReservation();
                    claimRefused();
                    if (tokensWentBack(lease)) {
                        return tokensRaised(lease);
                    }
                    throw ex;
                }
                catch (RuntimeException ex) {
                    settleReservation();
                    return claimFailed(lease, ex);
                }
                claimAccepted();
                this.share.following(this.resource);
                settleReservation();
                this.position = after;
            }
            List<StoredEvent> events = this.feed.readAfter(after, this.definition.batchSize());
            for (StoredEvent event : events) {
                if (this.stopping || heldLease(this.clock.instant()) == null) {
                    // Stops after the current event: the next owner resumes from the checkpoint.
                    return Duration.ZERO;
                }
                try {
                    this.definition.handler().handle(event);
                }
                catch (VirtualMachineError ex) {
                    throw ex;
                }
                catch (Throwable ex) {
                    // An Error (an AssertionError, a LinkageError) fails the event like an exception: tried again.
                    if (ex instanceof InterruptedException && this.stopping) {
                        Thread.currentThread().interrupt();
                    }
                    // A handler interrupted by a close is no attempt of its own.
                    int attempts = this.stopping ? 0 : handlerFailed(event);
                    if (attempts < this.maxAttempts) {
                        return failed(describe(event), "the same event", ex);
                    }
                    @Nullable Duration notRecorded = deadLetter(event, lease, attempts, ex);
                    if (notRecorded != null) {
                        return notRecorded;
                    }
                    continue;
                }
                this.failingAt = null;
                if (!this.stopping && Thread.interrupted()) {
                    logger.warn("Event subscription '{}' handler left the interrupt flag set on {}; cleared it",
                            name(), describe(event));
                }
                this.feed.saveCheckpoint(name(), event.position(), lease);
                this.position = event.position();
                succeeded(event);
            }
            this.lastError = null;
            this.state = SubscriptionState.FOLLOWING;
            return (events.size() < this.definition.batchSize()) ? this.pollInterval : Duration.ZERO;
        }
        catch (LeaseLostException ex) {
            return takenOver(lease, ex);
        }
        catch (RuntimeException ex) {
            return failed("the feed (reading after " + this.position + " or saving a checkpoint)", "the same event",
                    ex);
        }
    }

    /**
     * Whether the claim was refused by a stamp above the token of this lease, still valid, and the lease store's tokens
     * were raised above it, for the first time since the last claim accepted or above a greater stamp than before;
     * otherwise (a take-over, a feed that cannot read its stamps, a store that cannot raise its tokens or failed to, a
     * raise that did not take) remembers why not, for the fenced-out error.
     */
    private boolean tokensWentBack(Lease lease) {
        Instant now = this.clock.instant();
        // Judged only once lost tokens are found: a plain take-over reads nothing more.
        LostFencingTokens.Recovery recovery = this.lostTokens.recover(List.of(lease), (highest) -> holdBack(now));
        FencingToken stamp = recovery.stamp();
        if (recovery.outcome() == LostFencingTokens.Outcome.RAISED && stamp != null
                && (this.raisedAbove == null || stamp.isNewerThan(this.raisedAbove))) {
            this.raisedAbove = stamp;
            this.raisedAt = now;
            recordRaise(now);
            return true;
        }
        if (recovery.outcome() == LostFencingTokens.Outcome.HELD_BACK) {
            // Sticky until a claim is accepted or another node follows: a refusal that says nothing (a check that
            // failed) keeps the node fenced out, and the window passing does not make it raise again.
            this.raisedAgain = true;
        }
        this.notRaised = switch (recovery.outcome()) {
            case NONE -> null;
            case HELD_BACK -> "the lease store's tokens went back below the stamp " + stamp + ": "
                    + recovery.failure();
            case RAISED -> "the lease store was raised above " + this.raisedAbove + " yet granted token "
                    + lease.token() + " below the stamp " + stamp + ": the raise did not take";
            case CANNOT_RAISE, RAISE_FAILED -> "the lease store's tokens could not be raised above the stamp " + stamp
                    + ": " + recovery.failure();
        };
        return false;
    }

    /**
     * Why the lease store's tokens, found gone back, are not raised again: they were raised less than
     * {@link #RAISES_APART} fence windows ago (by this node or, as the feed keeps it, by any), or this node was fenced
     * out for that already; {@code null} to raise them.
     */
    private @Nullable String holdBack(Instant now) {
        @Nullable Instant lastRaise = lastRaise(now);
        Duration window = fenceWindow().multipliedBy(RAISES_APART);
        if (!this.raisedAgain && (lastRaise == null || !now.isBefore(lastRaise.plus(window)))) {
            return null;
        }
        return "they were raised above this checkpoint's stamp " + ((lastRaise != null) ? "at " + lastRaise
                + ", less than " + RAISES_APART + " fence windows (" + window + ") ago," : "before") + " and went "
                + "back again: two lease stores on one checkpoint table? (quark.leases.backend switched node by node, "
                + "or two deployments sharing the checkpoint table); not raising them again, which would have the "
                + "nodes on each store take the subscription from each other: put every node on one lease store";
    }

    /**
     * The later of this node's last raise and the one the feed keeps beside the checkpoint (this node's before a
     * restart, or another node's: on the other of two lease stores, say); only this node's when the feed cannot tell.
     * A kept raise later than now, by a node whose clock runs ahead, counts as now when within a fence window of it,
     * and not at all beyond (logged): a clock far ahead must not hold the raise back until it is reached.
     */
    private @Nullable Instant lastRaise(Instant now) {
        @Nullable Instant own = this.raisedAt;
        @Nullable Instant kept;
        try {
            kept = this.feed.tokensRaisedAt(name()).orElse(null);
        }
        catch (RuntimeException ex) {
            logger.warn("Event subscription '{}' could not read when the lease store's tokens were last raised above "
                    + "its checkpoint's stamp; going by this node's own raises: {}", name(), ex.toString());
            kept = null;
        }
        if (kept != null && kept.isAfter(now)) {
            if (kept.isAfter(now.plus(fenceWindow()))) {
                logger.warn("Event subscription '{}' ignores the raise of the lease store's tokens kept beside its "
                        + "checkpoint at {}, later than this node's clock ({}) by more than a fence window: is a node's "
                        + "clock ahead?", name(), kept, now);
                kept = null;
            }
            else {
                kept = now;
            }
        }
        if (own == null || (kept != null && kept.isAfter(own))) {
            return kept;
        }
        return own;
    }

    /** Keeps the raise beside the checkpoint; the raise took, so a failure to record it is only logged. */
    private void recordRaise(Instant raisedAt) {
        try {
            this.feed.recordTokensRaised(name(), raisedAt);
        }
        catch (RuntimeException ex) {
            logger.warn("Event subscription '{}' raised the lease store's tokens above its checkpoint's stamp but could "
                    + "not record when beside the checkpoint: a node restarted within {} would raise them again "
                    + "rather than be fenced out: {}", name(), fenceWindow().multipliedBy(RAISES_APART), ex.toString());
        }
    }

    /**
     * The lease store's tokens went back and were raised above the checkpoint's stamp: this node lets go of its lease,
     * whose token the stamp refuses, and stands by until its next step, at once, acquires a new lease, whose token
     * exceeds the stamp, and claims again. Nothing was handled on the refused lease; a fenced-out node is so no longer.
     */
    private Duration tokensRaised(Lease lease) {
        if (this.state == SubscriptionState.FENCED_OUT) {
            logger.info("Event subscription '{}' on '{}' is no longer fenced out: the lease store's tokens were raised "
                    + "above the checkpoint's stamp", name(), this.keeper.owner());
        }
        this.position = null;
        this.failures = 0;
        this.retryAt = null;
        this.claimFailing = false;
        forgetRefusals();
        this.notRaised = null;
        this.lastError = truncate("the lease store's tokens went back: the checkpoint's stamp " + this.raisedAbove
                + " is above token " + lease.token() + " of the lease just acquired; raised the store's tokens above "
                + "it, claiming again on a new lease");
        this.state = SubscriptionState.STANDBY;
        this.raisedJustNow = true;
        logger.info("Event subscription '{}' on '{}' lets go of its lease (token {}) and claims the checkpoint again on "
                + "a new one, above the stamp {}", name(), this.keeper.owner(), lease.token(), this.raisedAbove);
        release(lease);
        return Duration.ZERO;
    }

    /**
     * The checkpoint refused this lease's claim or write: a newer lease stamped it, so another node took the
     * subscription over (this node's lease ran out, during a long pause for instance) and the checkpoint stays what
     * that node made it. This node stops following: it lets go of the lease and stands by, as a node that lost its
     * lease does; the event it may just have handled is handled again by the new holder, none is skipped. From the
     * third claim in a row refused right after acquiring the lease it is {@link SubscriptionState#FENCED_OUT} instead:
     * the lease store's tokens went back and could not be raised ({@link #tokensWentBack}: the store cannot raise them,
     * the raise failed or did not take, or the feed cannot read its stamps); a node already fenced out stays so, however
     * long since its last refusal (an unreachable lease store in between included).
     */
    private Duration takenOver(Lease lease, LeaseLostException refusal) {
        boolean wasFencedOut = this.state == SubscriptionState.FENCED_OUT;
        boolean fenceOut = this.claimsRefused >= CLAIMS_REFUSED_BEFORE_ERROR || this.raisedAgain;
        this.position = null;
        this.failures = 0;
        this.retryAt = null;
        this.claimFailing = false;
        // The error before the state: a status read that sees the new state sees its error too.
        if (fenceOut) {
            // Not truncated: the remedy ends it, and the name is at most 255 characters.
            this.fencedOutError = "fenced out: " + this.claimsRefused + " claims of the checkpoint in a row refused "
                    + "right after acquiring the lease (token " + lease.token() + "): the lease store's tokens went "
                    + "back, and no node follows '" + name() + "' until they pass the checkpoint's stamp"
                    + ((this.notRaised != null) ? " (" + this.notRaised + ")" : "") + ". Clear it: "
                    + this.feed.clearCheckpointStamp(name());
            this.lastError = this.fencedOutError;
            this.fencedOutSeenAt = this.clock.instant();
            this.state = SubscriptionState.FENCED_OUT;
        }
        else {
            this.lastError = truncate("taken over: the checkpoint refused token " + lease.token() + ": "
                    + refusal.getMessage());
            this.state = SubscriptionState.STANDBY;
        }
        logger.warn("Event subscription '{}' stops following on '{}': its checkpoint refused lease token {}, since a "
                + "newer lease stamped it: another node took the subscription over (this node's lease ran out, during "
                + "a long pause for instance) and handles again what this node handled after the checkpoint. Standing "
                + "by. Should this repeat while no other node follows '{}', the lease store's tokens went back (a store "
                + "that lost its data): see the docs on fenced checkpoints", name(), this.keeper.owner(),
                lease.token(), name());
        if (fenceOut && (!wasFencedOut || this.claimsRefused % 100 == 0)) {
            logger.error("Event subscription '{}' on '{}': {} claims of its checkpoint in a row were refused right "
                    + "after this node acquired the lease, which carries the lease store's newest token: the store's "
                    + "tokens went back (a Redis that lost writes, a restore, or quark.leases.backend switched), and no "
                    + "node can follow '{}' until they pass the checkpoint's stamp{}. Clear the stamp by hand (see the "
                    + "docs on fenced checkpoints: {}); until then it is FENCED_OUT and the health indicator is DOWN",
                    name(), this.keeper.owner(), this.claimsRefused, name(),
                    (this.notRaised != null) ? " (" + this.notRaised + ")" : "", this.feed.clearCheckpointStamp(name()));
            this.metrics.failed(name());
        }
        release(lease);
        return this.pollInterval;
    }

    /**
     * The claim failed otherwise than refused (the checkpoint store throwing): the claim is tried again after the
     * back-off, on the lease acquired again, and this lease is let go meanwhile. A node holding the lease through the
     * back-off would look, to a fenced-out node, like a node whose claim was accepted, and that node would stand by
     * though nobody follows; released, the lease goes to that node now and then, whose claim is refused again. The
     * failures go on counting across the acquisitions, so the back-off grows as it would with the lease kept.
     */
    private Duration claimFailed(Lease lease, RuntimeException ex) {
        this.claimFailing = true;
        try {
            return failed("claiming the checkpoint", "the claim (the lease let go meanwhile)", ex);
        }
        finally {
            release(lease);
        }
    }

    /**
     * This node follows more subscriptions than its share (another node joined): gives this one back between two
     * batches, its checkpoint saved after the last event handled, for a node below its share to take at its next poll.
     */
    private Duration giveBack(Lease lease) {
        logger.info("Event subscription '{}' is handed over by '{}': this node follows more than its share ({}); "
                + "another node takes it from the checkpoint", name(), this.keeper.owner(), this.share.describe());
        this.share.notFollowing(this.resource);
        this.position = null;
        this.retryAt = null;
        this.failures = 0;
        this.lastError = null;
        this.state = SubscriptionState.STANDBY;
        release(lease);
        return this.pollInterval;
    }

    private void release(Lease lease) {
        try {
            this.keeper.release(lease);
        }
        catch (RuntimeException ex) {
            // The keeper no longer keeps it; a lease still held in the store expires on its own.
            logger.debug("Event subscription '{}' could not release {}", name(), lease, ex);
        }
    }

    private @Nullable Lease heldLease(Instant now) {
        Optional<Lease> lease = this.keeper.lease(this.resource);
        return (lease.isPresent() && lease.get().isValidAt(now)) ? lease.get() : null;
    }

    private @Nullable Lease acquire() {
        this.position = null;
        this.retryAt = null;
        if (!this.claimFailing) {
            this.failures = 0;
            // A node that follows anew counts its attempts on a failing event from one again.
            this.failingAt = null;
        }
        if (this.stopping) {
            return null;
        }
        settleReservation();
        if (this.state == SubscriptionState.FENCED_OUT || this.claimFailing || this.raisedJustNow) {
            // Claims again at once (tokens raised), or while fenced out or backing off a failed claim: as before.
            this.raisedJustNow = false;
            return acquireLease();
        }
        this.share.notFollowing(this.resource);
        if (!this.share.reserve(this.resource, false)) {
            if (!freeTooLong() || !this.share.reserve(this.resource, true)) {
                // This node follows its share of the subscriptions already: this one is another node's to take.
                this.state = SubscriptionState.STANDBY;
                this.lastError = null;
                return null;
            }
            logger.info("Event subscription '{}' has been free for more than {}; '{}' takes it beyond its share ({})",
                    name(), freeWindow(), this.keeper.owner(), this.share.describe());
        }
        this.freeSince = null;
        this.reserving = true;
        Lease lease = null;
        try {
            lease = acquireLease();
            return lease;
        }
        finally {
            if (lease == null) {
                // Kept until the claim's outcome otherwise: a lease taken but not claimed yet is counted as reserved.
                settleReservation();
            }
        }
    }

    /** Ends this follower's reservation of a take in the share, if it has one. */
    private void settleReservation() {
        if (this.reserving) {
            this.reserving = false;
            this.share.settle(this.resource);
        }
    }

    /**
     * How long a subscription must be seen free before a node at its share takes it: a lease duration, or the longest
     * back-off if longer (a node whose claim fails lets the lease go for its back-off), and a poll interval.
     */
    private Duration freeWindow() {
        Duration longestBackoff = this.backoff.delayAfter(64);
        Duration wait = (longestBackoff.compareTo(this.leaseDuration) > 0) ? longestBackoff : this.leaseDuration;
        return wait.plus(this.pollInterval);
    }

    /**
     * Whether the subscription's lease has been free, each time this node looked, for longer than a lease duration and
     * a poll interval: no node takes it (their followers ended, or their counts lag), so this node does, beyond its
     * share. A store that does not answer says nothing.
     */
    private boolean freeTooLong() {
        Instant now = this.clock.instant();
        try {
            if (this.store.holder(this.resource).isPresent()) {
                this.freeSince = null;
                return false;
            }
        }
        catch (RuntimeException ex) {
            logger.debug("Event subscription '{}' could not read its lease's holder", name(), ex);
            return false;
        }
        if (this.freeSince == null) {
            this.freeSince = now;
            return false;
        }
        return !now.isBefore(this.freeSince.plus(freeWindow()));
    }

    private @Nullable Lease acquireLease() {
        Optional<Lease> lease;
        try {
            lease = this.keeper.acquire(this.resource);
        }
        catch (RuntimeException ex) {
            if (this.stopping) {
                // The keeper is closed or closing: the runner is stopping.
                return null;
            }
            logger.warn("Event subscription '{}' could not ask for its lease; trying again in {}", name(),
                    this.pollInterval, ex);
            if (this.state == SubscriptionState.FENCED_OUT) {
                // Nobody can be seen holding the lease: no sign that the tokens passed the stamp.
                stillFencedOutAfter("could not ask for the lease: " + ex);
            }
            else {
                this.lastError = truncate(ex.toString());
                this.state = SubscriptionState.STANDBY;
            }
            return null;
        }
        if (lease.isEmpty()) {
            if (!stillFencedOut()) {
                if (this.state == SubscriptionState.FENCED_OUT) {
                    logger.info("Event subscription '{}' on '{}': another node has held the lease for {} since this "
                            + "node last saw no claim accepted (its own refused or failed, or the lease store not "
                            + "answering), so that node's claim was accepted; no longer fenced out, standing by",
                            name(), this.keeper.owner(), fenceWindow());
                }
                this.state = SubscriptionState.STANDBY;
                // Another node follows: this node's failed claims are behind it, and so is their back-off.
                this.raisedAbove = null;
                this.raisedAgain = false;
                this.claimFailing = false;
                this.failures = 0;
            }
            return null;
        }
        if (this.claimFailing) {
            // Trying the claim again after its back-off: RETRYING until the claim is accepted or refused.
            logger.debug("Event subscription '{}' on '{}' tries its claim again ({})", name(), this.keeper.owner(),
                    lease.get());
            return lease.get();
        }
        logger.info("Event subscription '{}' is followed by '{}' from now on ({})", name(), this.keeper.owner(),
                lease.get());
        if (this.state != SubscriptionState.FENCED_OUT) {
            // A fenced-out node stays so until its claim is accepted.
            this.state = SubscriptionState.FOLLOWING;
        }
        return lease.get();
    }

    private void claimRefused() {
        Instant now = this.clock.instant();
        // A fenced-out node is refused in a row until a claim is accepted, however long since the last refusal.
        boolean inARow = this.state == SubscriptionState.FENCED_OUT
                || (this.claimRefusedAt != null && now.isBefore(this.claimRefusedAt.plus(fenceWindow())));
        this.claimsRefused = inARow ? this.claimsRefused + 1 : 1;
        this.claimRefusedAt = now;
    }

    private void claimAccepted() {
        if (this.state == SubscriptionState.FENCED_OUT) {
            logger.info("Event subscription '{}' on '{}': the checkpoint accepted this node's claim again after {} "
                    + "refusals; following", name(), this.keeper.owner(), this.claimsRefused);
            this.lastError = null;
            this.state = SubscriptionState.FOLLOWING;
        }
        else if (this.claimFailing) {
            logger.info("Event subscription '{}' is followed by '{}' from now on: its claim of the checkpoint was "
                    + "accepted after {} failures", name(), this.keeper.owner(), this.failures);
        }
        forgetRefusals();
        this.raisedAbove = null;
        this.raisedAgain = false;
        this.notRaised = null;
        this.claimFailing = false;
        this.failures = 0;
    }

    /** Forgets the run of refused claims and the fenced-out state they led to. */
    private void forgetRefusals() {
        this.claimsRefused = 0;
        this.claimRefusedAt = null;
        this.fencedOutSeenAt = null;
        this.fencedOutError = null;
    }

    /**
     * Whether a fenced-out node stays so while another node holds the lease: until that node has held it a lease
     * duration and a poll interval after this node last saw that no other node's claim was accepted (its own claim
     * refused or failed, or the lease store not answering): the other node's claim was accepted, or this node would
     * have had the lease again by then (a node whose claim was refused lets the lease go at once, one whose claim
     * failed for its back-off, and the lease of one that died expires).
     */
    private boolean stillFencedOut() {
        return this.state == SubscriptionState.FENCED_OUT && this.fencedOutSeenAt != null
                && this.clock.instant().isBefore(this.fencedOutSeenAt.plus(fenceWindow()));
    }

    /**
     * Keeps a fenced-out node so after a failure that says nothing of the stamp (the lease store not answering, the
     * checkpoint's claim failing): the error is added to the fenced-out one, whose remedy still applies, and the fence
     * window starts again.
     */
    private void stillFencedOutAfter(String failure) {
        this.lastError = this.fencedOutError + "; then: " + truncate(failure);
        this.fencedOutSeenAt = this.clock.instant();
    }

    private Duration fenceWindow() {
        return this.leaseDuration.plus(this.pollInterval);
    }

    /** Counts a failure of the handler on an event, returning the failures in a row on it. */
    private int handlerFailed(StoredEvent event) {
        this.attemptsAt = event.position().equals(this.failingAt) ? this.attemptsAt + 1 : 1;
        this.failingAt = event.position();
        return this.attemptsAt;
    }

    /**
     * The handler failed on an event the subscription's maximum number of times in a row: records it as a dead letter
     * and moves the checkpoint past it, fenced by the lease, in one step (a refusal is thrown on: taken over).
     * @return {@code null} once recorded, the subscription going on with the next event; otherwise the back-off before
     * the event is tried again: on a feed that keeps no dead letters, or when recording failed (the attempts go on
     * counting, so the next failure tries to record it again)
     */
    private @Nullable Duration deadLetter(StoredEvent event, Lease lease, int attempts, Throwable ex) {
        if (!this.feed.keepsDeadLetters()) {
            if (!this.noDeadLettersLogged) {
                this.noDeadLettersLogged = true;
                logger.error("Event subscription '{}' gave up on {} after {} attempts, but its feed keeps no dead "
                        + "letters ({}): trying the event again until the handler succeeds", name(), describe(event),
                        attempts, this.feed.getClass().getName());
            }
            return failed(describe(event), "the same event", ex);
        }
        if (!this.stopping) {
            // A flag the handler left set would fail the write (a pool's wait for a connection).
            Thread.interrupted();
        }
        try {
            this.feed.deadLetter(new EventDeadLetter(name(), event, attempts, ex.toString(), this.clock.instant()),
                    lease);
        }
        catch (LeaseLostException refused) {
            throw refused;
        }
        catch (RuntimeException failure) {
            failure.addSuppressed(ex);
            return failed("recording " + describe(event) + " as a dead letter after " + attempts + " attempts",
                    "the event (and its dead letter)", failure);
        }
        this.position = event.position();
        this.failingAt = null;
        this.failures = 0;
        this.retryAt = null;
        this.lastError = null;
        this.state = SubscriptionState.FOLLOWING;
        this.deadLettered++;
        this.metrics.deadLettered(name());
        logger.error("Event subscription '{}' gave up on {} after {} attempts in a row and recorded it as a dead "
                + "letter; going on with the next event. Once the handler is fixed, retry it (runner.deadLetters()"
                + ".retry(\"{}\", {})) or discard it", name(), describe(event), attempts, name(), event.position(), ex);
        return null;
    }

    private void succeeded(StoredEvent event) {
        this.failures = 0;
        this.retryAt = null;
        Duration lateness = Duration.between(event.recordedAt(), this.clock.instant());
        this.metrics.handled(name(), lateness.isNegative() ? Duration.ZERO : lateness);
    }

    /**
     * Records a failed attempt and waits the back-off, the lease kept (a failed claim lets it go: {@link #claimFailed}).
     * @param what what failed, for the error and the log
     * @param retried what is tried again after the back-off, for the log: the claim or the same event
     */
    private Duration failed(String what, String retried, Throwable ex) {
        int attempt = ++this.failures;
        Duration delay = this.backoff.delayAfter(attempt);
        this.retryAt = this.clock.instant().plus(delay);
        if (this.state == SubscriptionState.FENCED_OUT) {
            // Only its claim fails while fenced out (an accepted one ends it): still no sign the stamp was passed.
            stillFencedOutAfter(what + ": " + ex);
        }
        else {
            this.lastError = truncate(what + ": " + ex);
            this.state = SubscriptionState.RETRYING;
        }
        this.metrics.failed(name());
        logger.warn("Event subscription '{}' failed on {} (attempt {}); trying {} again in {}", name(), what, attempt,
                retried, delay, ex);
        return delay;
    }

    private static String describe(StoredEvent event) {
        return "event " + event.type() + " of stream '" + event.stream() + "' version " + event.version()
                + " at feed position " + event.position();
    }

    private static String truncate(String text) {
        return (text.length() > MAX_ERROR_LENGTH) ? text.substring(0, MAX_ERROR_LENGTH) : text;
    }

    /** Makes the steps stop after the current event; the runner then closes the keeper. */
    void stop() {
        this.stopping = true;
    }

    void stopped() {
        if (this.state != SubscriptionState.FAILED) {
            this.state = SubscriptionState.STOPPED;
        }
    }

    /**
     * The subscription's thread ended while the runner runs: something a step let through (a
     * {@link VirtualMachineError}, an {@link Error} of the feed). Marks the subscription failed and releases its lease,
     * so that another node follows it rather than nobody while this node keeps renewing the lease.
     * @param cause what ended the thread, {@code null} when unknown
     */
    void died(@Nullable Throwable cause) {
        // The error first, as everywhere else: status() reads the state, then the error, so that a reader that sees
        // FAILED sees why.
        this.lastError = truncate("the subscription's thread ended: " + cause);
        this.state = SubscriptionState.FAILED;
        try {
            this.share.withdraw();
        }
        catch (RuntimeException ex) {
            logger.debug("Event subscription '{}' could not give its member slot up", name(), ex);
        }
        this.metrics.failed(name());
        try {
            logger.error("Event subscription '{}' stopped following on '{}': its thread ended; releasing its lease so "
                    + "that another node takes it over (restart this node to follow it here again)", name(),
                    this.keeper.owner(), cause);
            this.keeper.lease(this.resource).ifPresent(this.keeper::release);
        }
        catch (RuntimeException ex) {
            logger.warn("Event subscription '{}' could not release its lease; it expires on its own", name(), ex);
        }
    }

    SubscriptionStatus status() {
        return new SubscriptionStatus(name(), this.state, this.position, this.failures, this.lastError,
                this.fencingTokensLost, this.lastFencingTokensLoss, this.deadLettered);
    }
}
