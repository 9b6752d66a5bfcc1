package dev.quark.testkit.durabletasks;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;

import dev.quark.durabletasks.OrchestrationQuery;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.store.ActivityWorkItem;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.InstanceRecord;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.durabletasks.store.OrchestrationCommit;
import dev.quark.durabletasks.store.OrchestrationWorkItem;
import dev.quark.durabletasks.store.RowLeases;
import dev.quark.durabletasks.store.TaskMessage;
import dev.quark.lease.FencingToken;

/**
 * A store seen from a node that can crash: until {@link #crash()} every call goes to the real store, after it every
 * call fails, as if the node's process had died at that moment. Lets a test stop a worker between any two of its
 * writes, then start another worker on the real store.
 */
public final class CrashableStore implements DurableTaskStore {

    private final DurableTaskStore store;

    private final AtomicBoolean crashed = new AtomicBoolean();

    private final AtomicInteger claimedActivities = new AtomicInteger();

    private volatile boolean commitsLeaseNoCalls;

    private volatile Runnable afterActivityCompleted = () -> {
    };

    private volatile Consumer<OrchestrationCommit> afterCommit = (commit) -> {
    };

    private volatile Consumer<OrchestrationCommit> beforeCommit = (commit) -> {
    };

    private volatile Predicate<OrchestrationCommit> crashOnCommit = (commit) -> false;

    private volatile Runnable beforeStepClaim = () -> {
    };

    private volatile Runnable afterActivityClaim = () -> {
    };

    /**
     * Wraps a store.
     * @param store the real store
     */
    public CrashableStore(DurableTaskStore store) {
        this.store = store;
    }

    /**
     * Makes every later call fail.
     */
    public void crash() {
        this.crashed.set(true);
    }

    /**
     * Returns whether the node crashed.
     * @return whether calls fail
     */
    public boolean isCrashed() {
        return this.crashed.get();
    }

    /**
     * Makes this node's commits lease none of the activity calls they queue ({@code RowLeases.commitLeasingActivities}
     * with no room), so that the worker claims every call, as it does the calls past its room.
     */
    public void leaseNoCallsInCommits() {
        this.commitsLeaseNoCalls = true;
    }

    /**
     * Returns how many activity calls this node claimed ({@code claimActivity} that found the call, or a claim of
     * {@linkplain DurableTaskStore#rowLeases() row leases}); calls a commit leased to it are not counted.
     * @return the number of calls claimed
     */
    public int claimedActivities() {
        return this.claimedActivities.get();
    }

    /**
     * Runs an action after each activity outcome this node recorded, for instance {@link #crash()}.
     * @param action the action
     */
    public void afterActivityCompleted(Runnable action) {
        this.afterActivityCompleted = action;
    }

    /**
     * Runs an action after each orchestration step this node committed, for instance {@link #crash()} after a
     * continue-as-new.
     * @param action the action, given the commit
     */
    public void afterCommit(Consumer<OrchestrationCommit> action) {
        this.afterCommit = action;
    }

    /**
     * Makes this node die as it sends a commit the predicate accepts: the commit lands in the store, and from the
     * moment it was sent every other call of the node fails. Unlike {@link #crash()} in {@link #afterCommit}, no
     * call the node's other threads make while the commit travels (a poll that would see the commit's activity
     * calls and claim one) gets through.
     * @param when which commit the node dies with
     */
    public void crashOnCommit(Predicate<OrchestrationCommit> when) {
        this.crashOnCommit = when;
    }

    /**
     * Runs an action before each orchestration step this node commits; an exception it throws (a
     * {@code HistoryConflictException}, a {@code LeaseLostException}) refuses the commit.
     * @param action the action, given the commit
     */
    public void beforeCommit(Consumer<OrchestrationCommit> action) {
        this.beforeCommit = action;
    }

    /**
     * Runs an action each time this node looks for due orchestration steps ({@code dueInstances}, or a claim of
     * {@linkplain DurableTaskStore#rowLeases() row leases}), before the look; an exception it throws fails the look.
     * @param action the action
     */
    public void beforeStepClaim(Runnable action) {
        this.beforeStepClaim = action;
    }

    /**
     * Runs an action each time this node has looked for due activity calls ({@code dueActivities}, or a claim of
     * {@linkplain DurableTaskStore#rowLeases() row leases}), after the look.
     * @param action the action
     */
    public void afterActivityClaim(Runnable action) {
        this.afterActivityClaim = action;
    }

    private DurableTaskStore store() {
        if (this.crashed.get()) {
            throw new IllegalStateException("This node crashed: it reaches no store any more");
        }
        return this.store;
    }

    @Override
    public Optional<InstanceRecord> create(NewInstance instance) {
        return store().create(instance);
    }

    @Override
    public Optional<InstanceRecord> instance(String instanceId) {
        return store().instance(instanceId);
    }

    @Override
    public List<HistoryEvent> history(String instanceId) {
        return store().history(instanceId);
    }

    @Override
    public List<InstanceRecord> list(OrchestrationQuery query) {
        return store().list(query);
    }

    @Override
    public Map<OrchestrationStatus, Long> countByStatus() {
        return store().countByStatus();
    }

    @Override
    public boolean send(TaskMessage message) {
        return store().send(message);
    }

    @Override
    public boolean purge(String instanceId) {
        return store().purge(instanceId);
    }

    @Override
    public List<String> dueInstances(Instant now, int limit) {
        this.beforeStepClaim.run();
        return store().dueInstances(now, limit);
    }

    @Override
    public Optional<OrchestrationWorkItem> claimInstance(String instanceId, FencingToken token, Instant now) {
        return store().claimInstance(instanceId, token, now);
    }

    @Override
    public void commit(OrchestrationCommit commit) {
        this.beforeCommit.accept(commit);
        if (crashesWith(commit)) {
            this.store.commit(commit);
        }
        else {
            store().commit(commit);
        }
        this.afterCommit.accept(commit);
    }

    private boolean crashesWith(OrchestrationCommit commit) {
        if (!this.crashed.get() && this.crashOnCommit.test(commit)) {
            crash();
            return true;
        }
        return false;
    }

    @Override
    public List<String> dueActivities(Instant now, int limit) {
        List<String> due = store().dueActivities(now, limit);
        this.afterActivityClaim.run();
        return due;
    }

    @Override
    public Optional<ActivityWorkItem> claimActivity(String activityId, FencingToken token, Instant now) {
        Optional<ActivityWorkItem> claimed = store().claimActivity(activityId, token, now);
        // A node that died while its claim travelled never learns of it (the crash may come from another thread).
        store();
        claimed.ifPresent((item) -> this.claimedActivities.incrementAndGet());
        return claimed;
    }

    @Override
    public boolean completeActivity(String activityId, FencingToken token, TaskMessage outcome) {
        boolean recorded = store().completeActivity(activityId, token, outcome);
        if (recorded) {
            this.afterActivityCompleted.run();
        }
        return recorded;
    }

    @Override
    public boolean retryActivity(String activityId, FencingToken token, int nextAttempt, Instant visibleAt) {
        return store().retryActivity(activityId, token, nextAttempt, visibleAt);
    }

    @Override
    public boolean recordHeartbeat(String activityId, FencingToken token, String details) {
        return store().recordHeartbeat(activityId, token, details);
    }

    @Override
    public Optional<RowLeases> rowLeases() {
        return this.store.rowLeases().map(CrashableRowLeases::new);
    }

    /** The row leases of the real store, which fail once the node crashed. */
    private final class CrashableRowLeases implements RowLeases {

        private final RowLeases leases;

        CrashableRowLeases(RowLeases leases) {
            this.leases = leases;
        }

        private RowLeases leases() {
            if (CrashableStore.this.crashed.get()) {
                throw new IllegalStateException("This node crashed: it reaches no store any more");
            }
            return this.leases;
        }

        @Override
        public List<OrchestrationWorkItem> claimInstances(String owner, Instant now, Duration leaseDuration, int limit) {
            CrashableStore.this.beforeStepClaim.run();
            List<OrchestrationWorkItem> claimed = leases().claimInstances(owner, now, leaseDuration, limit);
            leases();
            return claimed;
        }

        @Override
        public List<ActivityWorkItem> claimActivities(String owner, Instant now, Duration leaseDuration, int limit) {
            List<ActivityWorkItem> claimed = leases().claimActivities(owner, now, leaseDuration, limit);
            // A node that died while its claim travelled never learns of it (the crash may come from another thread).
            leases();
            CrashableStore.this.claimedActivities.addAndGet(claimed.size());
            CrashableStore.this.afterActivityClaim.run();
            return claimed;
        }

        /**
         * Commits as {@link CrashableStore#commit} does, with its hooks; a node that crashes in the hook after the
         * commit never learns which calls the commit leased to it, as a process killed before the answer came back.
         */
        @Override
        public List<ActivityWorkItem> commitLeasingActivities(OrchestrationCommit commit, String owner,
                Duration leaseDuration, int limit) {
            CrashableStore.this.beforeCommit.accept(commit);
            RowLeases target = crashesWith(commit) ? this.leases : leases();
            List<ActivityWorkItem> leased = target.commitLeasingActivities(commit, owner, leaseDuration,
                    CrashableStore.this.commitsLeaseNoCalls ? 0 : limit);
            CrashableStore.this.afterCommit.accept(commit);
            leases();
            return leased;
        }

        @Override
        public Set<String> renewInstances(Map<String, FencingToken> held, Duration leaseDuration) {
            return leases().renewInstances(held, leaseDuration);
        }

        @Override
        public Set<String> renewActivities(Map<String, FencingToken> held, Duration leaseDuration) {
            return leases().renewActivities(held, leaseDuration);
        }

        @Override
        public void releaseInstance(String instanceId, FencingToken token) {
            leases().releaseInstance(instanceId, token);
        }

        @Override
        public void releaseActivity(String activityId, FencingToken token) {
            leases().releaseActivity(activityId, token);
        }
    }
}
