package dev.quark.messaging.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quark.lease.Lease;
import dev.quark.lease.LeaseKeeper;
import dev.quark.lease.LeaseStore;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.OutboxMessage;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.StoredMessage;

/**
 * Delivers outbox messages to their {@link MessagePublisher}s, partition by partition.
 * <p>
 * <b>Partitions and leases.</b> Keys hash into {@code partitions} partitions ({@link Partitioner}); a dispatcher
 * delivers a partition's messages only while it holds the partition's lease ({@code outbox:partition:<n>}) and after
 * stamping the partition with the lease's fencing token ({@link OutboxStore#stamp}); every state change it records
 * carries the token and is refused once a successor stamped the partition. Dispatchers share the partitions: each
 * holds one member slot lease ({@code outbox:member:<n>}), counts the slots held, and aims at
 * {@code ceil(partitions / members)} partitions, releasing extra ones and acquiring free ones at each round. A
 * partition is released only while no delivery of it runs ({@link PartitionLanes}): an extra partition in the middle
 * of a delivery stops after the message in flight and is released by a later round.
 * <p>
 * <b>Partitions run apart.</b> Running ({@link #start()}), the dispatcher rebalances every {@code pollInterval} and
 * starts a delivery, on a virtual thread of its own, for each partition it holds that has none running. A delivery
 * reads up to {@code batchSize} due messages and delivers them; when the batch came back full and every message of it
 * was recorded delivered, more may be due, and the partition goes on at once with its next batch; a partition that
 * found fewer (usually nothing more due; a Redis store's batch, which looks at a bounded part of the partition, may
 * come back short while more is due further back), hit a failing key or lost its lease waits for the next round. So
 * a slow receiver, or a call waiting for its timeout, holds back only its own partition, and a backlog drains at the
 * receivers' pace rather than a batch per poll. A delivery goes on in turns of about {@code pollInterval} (on the
 * injected clock): a turn that ended with a full batch starts the next one at once, without waiting for a round, on a
 * new virtual thread, after checking that the partition's lease is still the one held and that the partition is not
 * being given back. So a backlog never keeps one virtual thread busy for good (their carriers are shared with the
 * lease renewals). A delivery stops after the message in flight, recording it, once its partition is being given
 * back or the dispatcher closes.
 * <p>
 * <b>Order, retries, dead letters.</b> A delivery takes a partition's pending messages in enqueue order, one at a
 * time, and a partition has one delivery at a time. When a delivery fails, the message waits {@link RetryBackoff}
 * before its next attempt, and every later message of its key waits with it (the rest of the partition goes on).
 * After {@code maxAttempts} failed attempts the message becomes a dead letter and its key's later messages are
 * delivered: order per key then holds among the delivered messages, with the dead letter missing.
 * <p>
 * <b>Guarantees.</b> At least once: a message is marked delivered only after its publisher returned; a dispatcher that
 * dies before that leaves the message pending, and the partition's next owner delivers it again once the lease
 * expired. Without crashes and lease losses, each message is delivered once.
 * <p>
 * Time comes from the injected clock; {@link #runOnce()} does one round synchronously, a batch per partition held
 * (tests call it with a manual clock), {@link #start()} runs rounds every {@code pollInterval} on a thread of its own,
 * partitions delivered apart as above.
 */
public final class OutboxDispatcher implements AutoCloseable {

    /** The prefix of partition lease resources. */
    public static final String PARTITION_RESOURCE = "outbox:partition:";

    /** The prefix of member slot lease resources. */
    public static final String MEMBER_RESOURCE = "outbox:member:";

    private static final Logger logger = LoggerFactory.getLogger(OutboxDispatcher.class);

    private static final int MAX_ERROR_LENGTH = 2000;

    private final OutboxStore store;

    private final LeaseStore leases;

    private final LeaseKeeper keeper;

    private final Destinations destinations;

    private final Partitioner partitioner;

    private final int batchSize;

    private final int maxAttempts;

    private final RetryBackoff backoff;

    private final Duration pollInterval;

    private final Clock clock;

    private final OutboxMetrics metrics;

    private final ExecutorService deliveries;

    private final PartitionLanes lanes = new PartitionLanes();

    /**
     * The partitions whose last delivery failed with an exception. A store that is down fails every partition at
     * every round: only a partition's first failure is logged at WARN, the next ones at DEBUG until one of its
     * deliveries succeeds.
     */
    private final Set<Integer> failing = ConcurrentHashMap.newKeySet();

    private final Object lock = new Object();

    private @Nullable ScheduledExecutorService loop;

    private @Nullable Lease memberSlot;

    private OutboxDispatcher(Builder builder) {
        this.store = builder.store;
        this.leases = builder.leases;
        this.destinations = builder.destinations;
        this.partitioner = builder.partitioner;
        this.batchSize = builder.batchSize;
        this.maxAttempts = builder.maxAttempts;
        this.backoff = builder.backoff;
        this.pollInterval = builder.pollInterval;
        this.clock = builder.clock;
        this.metrics = builder.metrics;
        LeaseKeeper.Builder keeper = LeaseKeeper.builder(builder.leases, builder.owner)
            .duration(builder.leaseDuration)
            .clock(builder.clock)
            .listener((lease, loss) -> logger.warn("Outbox dispatcher '{}' lost {} ({}); its next owner delivers it",
                    builder.owner, lease.resource(), loss));
        if (builder.scheduler != null) {
            keeper.scheduler(builder.scheduler);
        }
        this.keeper = keeper.build();
        this.deliveries = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("quark-outbox-", 0).factory());
    }

    /**
     * Starts building a dispatcher.
     * @param store the messages
     * @param leases where partition leases are
     * @param destinations the publishers
     * @return the builder
     */
    public static Builder builder(OutboxStore store, LeaseStore leases, Destinations destinations) {
        return new Builder(store, leases, destinations);
    }

    /**
     * Returns the owner name of this dispatcher's leases.
     * @return the owner
     */
    public String owner() {
        return this.keeper.owner();
    }

    /**
     * Returns the partitions this dispatcher holds now.
     * @return the partitions, sorted
     */
    public List<Integer> partitions() {
        Instant now = this.clock.instant();
        return this.keeper.leases()
            .stream()
            .filter((lease) -> lease.resource().startsWith(PARTITION_RESOURCE) && lease.isValidAt(now))
            .map((lease) -> Integer.parseInt(lease.resource().substring(PARTITION_RESOURCE.length())))
            .sorted()
            .toList();
    }

    /**
     * Runs one round: takes or gives back partitions to share them with the other dispatchers, then delivers one batch
     * of the due messages of every partition held, partitions in parallel, and waits for it. A partition whose
     * delivery started by {@link #start()} is still running is left to it.
     * @return how many delivery attempts the round made
     */
    public int runOnce() {
        synchronized (this.lock) {
            rebalance();
            List<Future<Integer>> rounds = new ArrayList<>();
            for (Lease lease : partitionLeases()) {
                int partition = partitionOf(lease);
                if (!this.lanes.start(partition)) {
                    continue;
                }
                try {
                    rounds.add(this.deliveries.submit(() -> deliverOnce(lease)));
                }
                catch (RejectedExecutionException ex) {
                    // Closed while the round was starting: the partitions not started are the next owner's.
                    this.lanes.end(partition);
                    break;
                }
            }
            int attempts = 0;
            for (Future<Integer> round : rounds) {
                try {
                    attempts += round.get();
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    break;
                }
                catch (ExecutionException ex) {
                    logger.warn("Outbox dispatcher '{}' failed a partition round; trying again next round", owner(),
                            ex.getCause());
                }
            }
            return attempts;
        }
    }

    /**
     * Runs rounds every poll interval on a daemon thread until {@link #close()}: each rebalances, then starts a
     * delivery for every partition held that has none running, which goes on batch after batch while its batches come
     * back full (see the class description).
     */
    @SuppressWarnings("FutureReturnValueIgnored") // the rounds end when close() shuts their executor down
    public void start() {
        synchronized (this) {
            if (this.loop != null) {
                return;
            }
            this.loop = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("quark-outbox-dispatcher").daemon().factory());
            this.loop.scheduleWithFixedDelay(this::runQuietly, 0, this.pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void runQuietly() {
        try {
            poll();
        }
        catch (RuntimeException ex) {
            logger.warn("Outbox dispatcher '{}' round failed; trying again in {}", owner(), this.pollInterval, ex);
        }
    }

    /**
     * A round of the running loop: rebalances and starts a lane for every partition held without one, without waiting
     * for any.
     */
    private void poll() {
        synchronized (this.lock) {
            rebalance();
            for (Lease lease : partitionLeases()) {
                int partition = partitionOf(lease);
                if (!this.lanes.start(partition)) {
                    continue;
                }
                try {
                    this.deliveries.execute(() -> runLane(lease));
                }
                catch (RejectedExecutionException ex) {
                    this.lanes.end(partition);
                    return;
                }
            }
        }
    }

    /**
     * Runs a turn of a partition's lane: delivers its batches one after the other while they come back full, for
     * about {@code pollInterval} at most. A turn that ended with a full batch hands the lane on to its
     * {@linkplain #nextTurn next turn}; any other ends the lane.
     */
    private void runLane(Lease lease) {
        boolean handedOn = false;
        try {
            Instant turnEnds = this.clock.instant().plus(this.pollInterval);
            boolean full;
            do {
                full = deliverReporting(lease).full();
            }
            while (full && this.clock.instant().isBefore(turnEnds));
            handedOn = full && nextTurn(lease);
        }
        finally {
            if (!handedOn) {
                this.lanes.end(partitionOf(lease));
            }
        }
    }

    /**
     * Starts the next turn of a lane whose turn ended with a full batch, at once and on a virtual thread of its own,
     * unless its lease is no longer the one the dispatcher holds, the partition is retiring or the dispatcher closes.
     * The lane stays running in between, so no round starts a second one nor releases the partition meanwhile. A
     * round is not asked for instead: it would cost every lease read of a rebalance per turn and wait for the rounds'
     * lock; rebalancing needs no idle lane, since it retires a busy extra partition. The next turn is a new task of
     * the virtual-thread scheduler, as a turn started by a round is, so the lease renewals and the other partitions'
     * turns waiting for a carrier get theirs: a backlog never keeps a carrier for good.
     * @return whether the next turn started, and ends the lane in its turn
     */
    private boolean nextTurn(Lease lease) {
        if (!stillHeld(lease) || stops(partitionOf(lease))) {
            return false;
        }
        try {
            this.deliveries.execute(() -> runLane(lease));
            return true;
        }
        catch (RejectedExecutionException ex) {
            return false;
        }
    }

    private int deliverOnce(Lease lease) {
        try {
            return deliverReporting(lease).attempts();
        }
        finally {
            this.lanes.end(partitionOf(lease));
        }
    }

    /**
     * Delivers one batch of a partition, logging a failure (see {@link #failing}) instead of throwing it.
     */
    private Batch deliverReporting(Lease lease) {
        int partition = partitionOf(lease);
        try {
            Batch batch = deliver(lease);
            this.failing.remove(partition);
            return batch;
        }
        catch (RuntimeException ex) {
            if (this.failing.add(partition)) {
                logger.warn("Outbox dispatcher '{}' failed a delivery of partition {}; trying again next round (until "
                        + "it delivers again, its next failures are logged at DEBUG)", owner(), partition, ex);
            }
            else {
                logger.debug("Outbox dispatcher '{}' failed a delivery of partition {} again", owner(), partition, ex);
            }
            return Batch.stopped(0);
        }
    }

    /**
     * Returns whether a delivery of a partition stops before its next message: the partition is being given back
     * (only a lane's can be: {@link #runOnce()} holds the rounds' lock until its batches end, so no round retires
     * their partitions meanwhile), or the dispatcher closes (its deliveries shut down and interrupted).
     */
    private boolean stops(int partition) {
        return Thread.currentThread().isInterrupted() || this.deliveries.isShutdown()
                || this.lanes.isRetiring(partition);
    }

    /**
     * Stops the rounds, interrupts and waits for the deliveries in flight, every partition's (up to 10 seconds; an
     * interrupted publisher's message is not recorded and stays pending, and no delivery goes on to its next message,
     * even one whose publisher ignored the interrupt), then releases the leases, so that
     * other dispatchers take the partitions at once.
     * <p>
     * The round in progress is let finish its lease commands rather than interrupted: a command interrupted while its
     * reply is on the way (a Redis lease granted, the caller gone) would leave a lease nobody keeps or releases, and
     * a member slot or partition held that way makes the next dispatchers wait for it to expire (a restarted
     * application delivering some partitions only after {@code leaseDuration}). Only a round still running after 10
     * seconds is interrupted.
     */
    @Override
    public void close() {
        ScheduledExecutorService rounds;
        synchronized (this) {
            rounds = this.loop;
            this.loop = null;
        }
        if (rounds != null) {
            rounds.shutdown();
        }
        // Deliveries stop before the leases go: a successor must not send a message this node is still sending,
        // and an interrupted delivery records nothing (see deliver), so it costs the message no attempt. Shut down,
        // the executor refuses the partitions of a round not started yet, so the round ends soon.
        this.deliveries.shutdownNow();
        if (rounds != null) {
            awaitRound(rounds);
        }
        try {
            if (!this.deliveries.awaitTermination(10, TimeUnit.SECONDS)) {
                logger.warn("Outbox dispatcher '{}' closes with deliveries still running; their messages may be "
                        + "delivered again by the partitions' next owners", owner());
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        this.keeper.close();
    }

    private void awaitRound(ScheduledExecutorService rounds) {
        try {
            if (!rounds.awaitTermination(10, TimeUnit.SECONDS)) {
                logger.warn("Outbox dispatcher '{}' interrupts a round still running at close; a lease it was "
                        + "acquiring may stay held until it expires", owner());
                rounds.shutdownNow();
                rounds.awaitTermination(10, TimeUnit.SECONDS);
            }
        }
        catch (InterruptedException ex) {
            rounds.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private void rebalance() {
        Instant now = this.clock.instant();
        if (this.memberSlot == null || this.keeper.lease(this.memberSlot.resource()).isEmpty()) {
            this.memberSlot = this.keeper.acquire(resources(MEMBER_RESOURCE), 1).stream().findFirst().orElse(null);
        }
        int members = 0;
        for (String slot : resources(MEMBER_RESOURCE)) {
            if (this.leases.holder(slot).isPresent()) {
                members++;
            }
        }
        int target = Math.ceilDiv(this.partitioner.partitions(), Math.max(1, members));
        if (this.memberSlot == null) {
            target = 0;
        }
        List<Lease> held = partitionLeases();
        if (held.size() > target) {
            giveBack(held, held.size() - target);
            return;
        }
        this.lanes.retire(Set.of());
        if (held.size() == target) {
            return;
        }
        Set<String> mine = new HashSet<>();
        held.forEach((lease) -> mine.add(lease.resource()));
        List<String> candidates = new ArrayList<>();
        int start = Math.floorMod(owner().hashCode(), this.partitioner.partitions());
        for (int i = 0; i < this.partitioner.partitions(); i++) {
            String resource = PARTITION_RESOURCE + ((start + i) % this.partitioner.partitions());
            if (!mine.contains(resource)) {
                candidates.add(resource);
            }
        }
        for (Lease lease : this.keeper.acquire(candidates, target - held.size())) {
            if (!lease.isValidAt(now) || !this.store.stamp(partitionOf(lease), lease.token())) {
                logger.info("Outbox dispatcher '{}' could not stamp {}: a newer lease did", owner(), lease);
                this.keeper.release(lease);
            }
        }
    }

    /**
     * Releases extra partitions that have no delivery running, highest first, and retires as many with one running
     * as are still extra: they are released by a later round, once their lane stopped.
     */
    private void giveBack(List<Lease> held, int extra) {
        List<Lease> idle = new ArrayList<>();
        List<Lease> running = new ArrayList<>();
        for (Lease lease : held.reversed()) {
            (this.lanes.isRunning(partitionOf(lease)) ? running : idle).add(lease);
        }
        List<Lease> released = idle.subList(0, Math.min(extra, idle.size()));
        Set<Integer> retiring = new HashSet<>();
        running.subList(0, extra - released.size()).forEach((lease) -> retiring.add(partitionOf(lease)));
        this.lanes.retire(retiring);
        for (Lease lease : released) {
            this.keeper.release(lease);
        }
    }

    private List<String> resources(String prefix) {
        List<String> resources = new ArrayList<>(this.partitioner.partitions());
        for (int i = 0; i < this.partitioner.partitions(); i++) {
            resources.add(prefix + i);
        }
        return resources;
    }

    private List<Lease> partitionLeases() {
        Instant now = this.clock.instant();
        return this.keeper.leases()
            .stream()
            .filter((lease) -> lease.resource().startsWith(PARTITION_RESOURCE) && lease.isValidAt(now))
            .sorted(java.util.Comparator.comparingInt(OutboxDispatcher::partitionOf))
            .toList();
    }

    private static int partitionOf(Lease lease) {
        return Integer.parseInt(lease.resource().substring(PARTITION_RESOURCE.length()));
    }

    /**
     * Delivers one batch of a partition's due messages, stopping before the next message once the lease is lost or
     * the delivery {@linkplain #stops stops}.
     */
    private Batch deliver(Lease lease) {
        int partition = partitionOf(lease);
        if (stops(partition)) {
            return Batch.stopped(0);
        }
        List<StoredMessage> batch = this.store.nextBatch(partition, this.clock.instant(), this.batchSize);
        Set<String> waiting = new HashSet<>();
        int attempts = 0;
        for (StoredMessage message : batch) {
            if (waiting.contains(message.key())) {
                continue;
            }
            if (!stillHeld(lease) || stops(partition)) {
                return Batch.stopped(attempts);
            }
            attempts++;
            Optional<String> failure = publish(message.toDelivery());
            if (failure.isPresent() && Thread.currentThread().isInterrupted()) {
                // Stopped mid-delivery: the message stays as it was, for the partition's next owner (at least once).
                return Batch.stopped(attempts);
            }
            Instant now = this.clock.instant();
            boolean recorded;
            if (failure.isEmpty()) {
                recorded = this.store.markDelivered(message, lease.token(), now);
                if (recorded) {
                    this.metrics.delivered(message.destination(), Duration.between(message.createdAt(), now));
                }
            }
            else {
                waiting.add(message.key());
                int attempt = message.attempts() + 1;
                if (attempt >= this.maxAttempts) {
                    recorded = this.store.markDead(message, lease.token(), now, failure.get());
                    if (recorded) {
                        logger.warn("Outbox message {} for '{}' (key '{}') is a dead letter after {} attempts: {}",
                                message.id(), message.destination(), message.key(), attempt, failure.get());
                        this.metrics.deadLettered(message.destination());
                    }
                }
                else {
                    recorded = this.store.markRetry(message, lease.token(),
                            now.plus(this.backoff.delayAfter(attempt)), failure.get());
                    if (recorded) {
                        this.metrics.retried(message.destination());
                    }
                }
            }
            if (!recorded) {
                logger.warn("Outbox dispatcher '{}' was fenced off partition {} while delivering {}: a newer lease "
                        + "holds it", owner(), partition, message.id());
                this.keeper.release(lease);
                return Batch.stopped(attempts);
            }
        }
        return new Batch(attempts, batch.size() == this.batchSize && waiting.isEmpty());
    }

    private boolean stillHeld(Lease lease) {
        Optional<Lease> current = this.keeper.lease(lease.resource());
        return current.isPresent() && current.get().isSameLease(lease)
                && current.get().isValidAt(this.clock.instant());
    }

    private Optional<String> publish(OutboxMessage message) {
        try {
            this.destinations.require(message.destination()).publish(message);
            return Optional.empty();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return Optional.of(describe(ex));
        }
        catch (Exception ex) {
            logger.debug("Delivery {} of outbox message {} to '{}' failed", message.attempt(), message.id(),
                    message.destination(), ex);
            return Optional.of(describe(ex));
        }
    }

    private static String describe(Throwable ex) {
        String text = ex.getClass().getName() + ": " + ex.getMessage();
        return (text.length() > MAX_ERROR_LENGTH) ? text.substring(0, MAX_ERROR_LENGTH) : text;
    }

    @Override
    public String toString() {
        return "OutboxDispatcher[" + owner() + ", partitions " + partitions() + "]";
    }

    /**
     * What one batch of a partition did.
     * @param attempts the delivery attempts made
     * @param full whether the batch came back full and each of its messages was recorded delivered: more may be due
     */
    private record Batch(int attempts, boolean full) {

        static Batch stopped(int attempts) {
            return new Batch(attempts, false);
        }
    }

    /**
     * Builds an {@link OutboxDispatcher}.
     */
    public static final class Builder {

        private final OutboxStore store;

        private final LeaseStore leases;

        private final Destinations destinations;

        private Partitioner partitioner = new Partitioner(16);

        private int batchSize = 100;

        private int maxAttempts = 10;

        private RetryBackoff backoff = new RetryBackoff(Duration.ofSeconds(1), 2.0, Duration.ofMinutes(5));

        private Duration pollInterval = Duration.ofMillis(500);

        private Duration leaseDuration = Duration.ofSeconds(30);

        private Clock clock = Clock.systemUTC();

        private String owner = "outbox-" + UUID.randomUUID();

        private OutboxMetrics metrics = OutboxMetrics.NONE;

        private LeaseKeeper.@Nullable Scheduler scheduler;

        private Builder(OutboxStore store, LeaseStore leases, Destinations destinations) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            this.leases = Objects.requireNonNull(leases, "leases must not be null");
            this.destinations = Objects.requireNonNull(destinations, "destinations must not be null");
        }

        /**
         * Sets the partitioner, the one of the outbox; 16 partitions unless set.
         * @param partitioner the partitioner
         * @return this builder
         */
        public Builder partitioner(Partitioner partitioner) {
            this.partitioner = Objects.requireNonNull(partitioner, "partitioner must not be null");
            return this;
        }

        /**
         * Sets how many messages one delivery of a partition reads at most; 100 unless set. Running, a partition
         * whose batch came back full goes on at once with the next one.
         * @param batchSize the batch size, positive
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be positive, was " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets after how many failed attempts a message becomes a dead letter; 10 unless set.
         * @param maxAttempts the attempts, positive
         * @return this builder
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be positive, was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * Sets the backoff between attempts; 1s doubling up to 5 minutes unless set.
         * @param backoff the backoff
         * @return this builder
         */
        public Builder backoff(RetryBackoff backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff must not be null");
            return this;
        }

        /**
         * Sets the wait between rounds of {@link OutboxDispatcher#start()}, which rebalance and start a delivery for
         * each partition that has none running, and about how long a turn of a delivery goes on with full batches
         * before the delivery goes on in a new turn, on a new virtual thread; 500ms unless set.
         * @param pollInterval the interval, positive
         * @return this builder
         */
        public Builder pollInterval(Duration pollInterval) {
            if (pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /**
         * Sets the duration of partition leases; 30 seconds unless set.
         * @param leaseDuration the duration
         * @return this builder
         */
        public Builder leaseDuration(Duration leaseDuration) {
            this.leaseDuration = Objects.requireNonNull(leaseDuration, "leaseDuration must not be null");
            return this;
        }

        /**
         * Sets the clock; the system clock unless set.
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Sets the owner name of the leases, unique per dispatcher; a random one unless set.
         * @param owner the owner
         * @return this builder
         */
        public Builder owner(String owner) {
            this.owner = Objects.requireNonNull(owner, "owner must not be null");
            return this;
        }

        /**
         * Sets where the dispatcher reports.
         * @param metrics the metrics
         * @return this builder
         */
        public Builder metrics(OutboxMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
            return this;
        }

        /**
         * Sets the scheduler of lease renewals (tests: a manual one); real time unless set.
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scheduler(LeaseKeeper.Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Builds the dispatcher; it does nothing until {@link OutboxDispatcher#runOnce()} or
         * {@link OutboxDispatcher#start()}.
         * @return the dispatcher
         */
        public OutboxDispatcher build() {
            return new OutboxDispatcher(this);
        }
    }
}
