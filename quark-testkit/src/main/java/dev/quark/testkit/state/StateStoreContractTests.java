package dev.quark.testkit.state;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.ActivationException;
import dev.quark.actor.Actor;
import dev.quark.actor.QuarkActor;
import dev.quark.runtime.ActorRuntime;
import dev.quark.state.ActorState;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.JsonStateSerializer;
import dev.quark.state.PersistentState;
import dev.quark.state.StateActivationHook;
import dev.quark.state.StateKey;
import dev.quark.state.StateSerializationException;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreRegistry;
import dev.quark.state.StoredState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The behaviour every {@link StateStore} must have, so that the in-memory, Redis and PostgreSQL stores (and
 * yours) are interchangeable: versions, conflicts, first-save races, payloads kept character for character, and
 * the same behaviour seen through actors (concurrent writers with retries, corrupt payloads on activation).
 * <p>
 * Subclass it and return the store under test; every test uses keys of its own, so one store may serve all
 * tests of the class:
 * <pre>{@code
 * class MyStateStoreTests extends StateStoreContractTests {
 *     private final StateStore store = new MyStateStore(...);
 *
 *     @Override
 *     protected StateStore store() {
 *         return this.store;
 *     }
 * }
 * }</pre>
 */
public abstract class StateStoreContractTests {

    /** The actor type name the tests' keys use. */
    protected static final String ACTOR_TYPE = "ContractCounter";

    private static final AtomicLong ids = new AtomicLong();

    private final String run = Long.toHexString(System.nanoTime());

    /**
     * Returns the store under test.
     * @return the store
     */
    protected abstract StateStore store();

    /**
     * Returns a key no other test uses.
     * @param name the state's name
     * @return the key
     */
    protected final StateKey newKey(String name) {
        return new StateKey(ACTOR_TYPE, newId(), name);
    }

    private String newId() {
        return "actor-" + this.run + "-" + ids.incrementAndGet();
    }

    @Test
    public void stateThatWasNeverSavedIsAbsent() {
        assertThat(store().load(newKey("profile"))).isEmpty();
    }

    @Test
    public void firstSaveCreatesVersionOne() {
        StateKey key = newKey("profile");
        assertThat(store().save(key, "{\"name\":\"Ada\"}", 0)).isEqualTo(1);
        assertThat(store().load(key)).contains(new StoredState("{\"name\":\"Ada\"}", 1));
    }

    @Test
    public void everySaveAddsOneToTheVersion() {
        StateKey key = newKey("profile");
        for (long version = 0; version < 5; version++) {
            assertThat(store().save(key, "{\"v\":" + version + "}", version)).isEqualTo(version + 1);
        }
        assertThat(store().load(key)).contains(new StoredState("{\"v\":4}", 5));
    }

    @Test
    public void payloadsComeBackCharacterForCharacter() {
        List<String> payloads = List.of("{}", "  { \"spaced\" :\t1 }\n", "{\"text\":\"ünïcödé ✓ 𝄞 日本\"}",
                "{\"quotes\":\"\\\"\\\\ \\u0000 '\"}", "[1,2.50,1e3,-0,null,true]", "\"a string\"", "42",
                "{\"big\":\"" + "x".repeat(1 << 20) + "\"}", "not json at all: stores do not parse");
        for (String payload : payloads) {
            StateKey key = newKey("payload");
            store().save(key, payload, 0);
            assertThat(store().load(key).map(StoredState::payload)).contains(payload);
            store().save(key, payload + " ", 1);
            assertThat(store().load(key)).contains(new StoredState(payload + " ", 2));
        }
    }

    @Test
    public void saveWithStaleVersionThrowsAndWritesNothing() {
        StateKey key = newKey("profile");
        store().save(key, "{\"v\":1}", 0);
        store().save(key, "{\"v\":2}", 1);
        ConcurrencyException conflict = catchThrowableOfType(ConcurrencyException.class,
                () -> store().save(key, "{\"v\":\"stale\"}", 1));
        assertThat(conflict.getKey()).isEqualTo(key);
        assertThat(conflict.getExpectedVersion()).isEqualTo(1);
        assertThat(conflict.getActualVersion()).isEqualTo(2);
        assertThat(conflict).hasMessageContaining(key.toString()).hasMessageContaining("expected version 1");
        assertThat(store().load(key)).contains(new StoredState("{\"v\":2}", 2));
    }

    @Test
    public void saveExpectingAVersionAheadOfTheStoreThrows() {
        StateKey key = newKey("profile");
        store().save(key, "{}", 0);
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> store().save(key, "{\"v\":9}", 7))
            .satisfies((conflict) -> {
                assertThat(conflict.getExpectedVersion()).isEqualTo(7);
                assertThat(conflict.getActualVersion()).isEqualTo(1);
            });
        assertThat(store().load(key)).contains(new StoredState("{}", 1));
    }

    @Test
    public void firstSaveOfAStateThatExistsThrows() {
        StateKey key = newKey("profile");
        store().save(key, "{\"first\":true}", 0);
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> store().save(key, "{\"second\":true}", 0))
            .satisfies((conflict) -> {
                assertThat(conflict.getExpectedVersion()).isZero();
                assertThat(conflict.getActualVersion()).isEqualTo(1);
            });
        assertThat(store().load(key)).contains(new StoredState("{\"first\":true}", 1));
    }

    @Test
    public void saveExpectingAStateThatDoesNotExistThrows() {
        StateKey key = newKey("profile");
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> store().save(key, "{}", 3))
            .satisfies((conflict) -> {
                assertThat(conflict.getExpectedVersion()).isEqualTo(3);
                assertThat(conflict.getActualVersion()).isZero();
            });
        assertThat(store().load(key)).isEmpty();
    }

    @Test
    public void deleteRemovesTheStateAndVersionsStartAgain() {
        StateKey key = newKey("profile");
        store().save(key, "{\"v\":1}", 0);
        store().save(key, "{\"v\":2}", 1);
        store().delete(key, 2);
        assertThat(store().load(key)).isEmpty();
        assertThat(store().save(key, "{\"v\":\"again\"}", 0)).isEqualTo(1);
    }

    @Test
    public void deleteWithStaleVersionThrowsAndDeletesNothing() {
        StateKey key = newKey("profile");
        store().save(key, "{\"v\":1}", 0);
        store().save(key, "{\"v\":2}", 1);
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> store().delete(key, 1))
            .satisfies((conflict) -> {
                assertThat(conflict.getExpectedVersion()).isEqualTo(1);
                assertThat(conflict.getActualVersion()).isEqualTo(2);
            });
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> store().delete(key, 0))
            .satisfies((conflict) -> assertThat(conflict.getActualVersion()).isEqualTo(2));
        assertThat(store().load(key)).contains(new StoredState("{\"v\":2}", 2));
    }

    @Test
    public void deleteOfAStateThatDoesNotExist() {
        StateKey key = newKey("profile");
        store().delete(key, 0);
        assertThat(store().load(key)).isEmpty();
        assertThatExceptionOfType(ConcurrencyException.class).isThrownBy(() -> store().delete(key, 4))
            .satisfies((conflict) -> {
                assertThat(conflict.getExpectedVersion()).isEqualTo(4);
                assertThat(conflict.getActualVersion()).isZero();
            });
    }

    @Test
    public void keysThatShareSomePartsAreDistinctStates() {
        String id = newId();
        List<StateKey> keys = List.of(new StateKey(ACTOR_TYPE, id, "a"), new StateKey(ACTOR_TYPE, id, "b"),
                new StateKey(ACTOR_TYPE + "Other", id, "a"), new StateKey(ACTOR_TYPE, id + ":b", "c"),
                new StateKey(ACTOR_TYPE, id, "b.c"), new StateKey(ACTOR_TYPE, id + ":x", "a"),
                new StateKey(ACTOR_TYPE, id + "/x", "a"), new StateKey(ACTOR_TYPE, id + "*", "a"),
                new StateKey(ACTOR_TYPE, "", "a"));
        for (int i = 0; i < keys.size(); i++) {
            store().save(keys.get(i), "{\"i\":" + i + "}", 0);
        }
        for (int i = 0; i < keys.size(); i++) {
            assertThat(store().load(keys.get(i))).as(keys.get(i).toString()).contains(new StoredState("{\"i\":" + i + "}", 1));
        }
        store().delete(keys.get(0), 1);
        assertThat(store().load(keys.get(1))).isPresent();
        assertThat(store().load(keys.get(2))).isPresent();
    }

    @Test
    @Timeout(120)
    public void ofConcurrentFirstSavesExactlyOneWins() throws Exception {
        int writers = 8;
        ExecutorService threads = Executors.newFixedThreadPool(writers);
        try {
            for (int round = 0; round < 25; round++) {
                StateKey key = newKey("race");
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Long>> outcomes = new ArrayList<>();
                for (int writer = 0; writer < writers; writer++) {
                    String payload = "{\"writer\":" + writer + "}";
                    outcomes.add(threads.submit(racer(start, () -> saveOrLose(key, payload, 0))));
                }
                start.countDown();
                List<Long> versions = new ArrayList<>();
                for (Future<Long> outcome : outcomes) {
                    versions.add(outcome.get(30, TimeUnit.SECONDS));
                }
                assertThat(versions).as("round %d: 1 = saved, -1 = conflict", round).containsOnlyOnce(1L);
                assertThat(versions).filteredOn((version) -> version != 1L).containsOnly(-1L);
                int winner = versions.indexOf(1L);
                assertThat(store().load(key)).contains(new StoredState("{\"writer\":" + winner + "}", 1));
            }
        }
        finally {
            threads.shutdownNow();
        }
    }

    @Test
    @Timeout(120)
    public void ofConcurrentSavesOfOneVersionExactlyOneWins() throws Exception {
        int writers = 8;
        ExecutorService threads = Executors.newFixedThreadPool(writers);
        try {
            StateKey key = newKey("race");
            store().save(key, "{\"start\":true}", 0);
            for (long version = 1; version <= 25; version++) {
                long expected = version;
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Long>> outcomes = new ArrayList<>();
                for (int writer = 0; writer < writers; writer++) {
                    String payload = "{\"writer\":" + writer + "}";
                    outcomes.add(threads.submit(racer(start, () -> saveOrLose(key, payload, expected))));
                }
                start.countDown();
                int winners = 0;
                for (Future<Long> outcome : outcomes) {
                    winners += (outcome.get(30, TimeUnit.SECONDS) == expected + 1) ? 1 : 0;
                }
                assertThat(winners).as("winners of version %d", expected).isEqualTo(1);
            }
            assertThat(store().load(key).map(StoredState::version)).contains(26L);
        }
        finally {
            threads.shutdownNow();
        }
    }

    /**
     * Eight activations of one actor, as if on eight silos, each incrementing one state 250 times with
     * read, modify, save and a retry on {@link ConcurrencyException}: no increment may be lost and every
     * conflict must surface as that exception, with the versions it names.
     */
    @Test
    @Timeout(300)
    public void eightWritersIncrementingWithRetriesLoseNothing() throws Exception {
        int writers = 8;
        int increments = 250;
        String id = newId();
        List<ActorRuntime> silos = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(writers);
        try {
            for (int silo = 0; silo < writers; silo++) {
                silos.add(runtime());
            }
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Long>> conflicts = new ArrayList<>();
            for (ActorRuntime silo : silos) {
                ContractCounter counter = silo.get(ContractCounter.class, id);
                conflicts.add(threads.submit(racer(start, () -> {
                    long seen = 0;
                    for (int i = 0; i < increments; i++) {
                        seen += counter.incrementWithRetries();
                    }
                    return seen;
                })));
            }
            start.countDown();
            long totalConflicts = 0;
            for (Future<Long> outcome : conflicts) {
                totalConflicts += outcome.get(240, TimeUnit.SECONDS);
            }
            long expected = (long) writers * increments;
            assertThat(silos.getFirst().get(ContractCounter.class, id).reloadAndGet()).isEqualTo(expected);
            Optional<StoredState> stored = store().load(new StateKey(ACTOR_TYPE, id, "counter"));
            assertThat(stored).contains(new StoredState("{\"count\":" + expected + "}", expected));
            long attempts = silos.stream().mapToLong((silo) -> silo.get(ContractCounter.class, id).attempts()).sum();
            assertThat(attempts).as("attempts = successful saves + conflicts").isEqualTo(expected + totalConflicts);
        }
        finally {
            threads.shutdownNow();
            silos.forEach(ActorRuntime::close);
        }
    }

    @Test
    public void stateIsLoadedBeforeOnActivateAndSurvivesReactivation() {
        String id = newId();
        try (ActorRuntime runtime = runtime()) {
            ContractCounter counter = runtime.get(ContractCounter.class, id);
            assertThat(counter.countSeenOnActivate()).isEqualTo(-1);
            counter.incrementWithRetries();
            counter.incrementWithRetries();
            runtime.deactivate(ContractCounter.class, id);
            assertThat(runtime.get(ContractCounter.class, id).countSeenOnActivate()).isEqualTo(2);
        }
        try (ActorRuntime otherSilo = runtime()) {
            assertThat(otherSilo.get(ContractCounter.class, id).countSeenOnActivate()).isEqualTo(2);
        }
    }

    @Test
    public void clearDeletesTheStateForEveryLaterActivation() {
        String id = newId();
        try (ActorRuntime runtime = runtime()) {
            ContractCounter counter = runtime.get(ContractCounter.class, id);
            counter.incrementWithRetries();
            counter.clear();
            assertThat(store().load(new StateKey(ACTOR_TYPE, id, "counter"))).isEmpty();
            runtime.deactivate(ContractCounter.class, id);
            assertThat(runtime.get(ContractCounter.class, id).countSeenOnActivate()).isEqualTo(-1);
        }
    }

    @Test
    public void ofTwoActivationsRacingToCreateAStateExactlyOneWins() throws Exception {
        String id = newId();
        try (ActorRuntime first = runtime(); ActorRuntime second = runtime()) {
            ContractCounter one = first.get(ContractCounter.class, id);
            ContractCounter other = second.get(ContractCounter.class, id);
            assertThat(one.countSeenOnActivate()).isEqualTo(-1);
            assertThat(other.countSeenOnActivate()).isEqualTo(-1);
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                Future<String> a = threads.submit(racer(start, () -> one.createOnce(10)));
                Future<String> b = threads.submit(racer(start, () -> other.createOnce(20)));
                start.countDown();
                List<String> outcomes = List.of(a.get(30, TimeUnit.SECONDS), b.get(30, TimeUnit.SECONDS));
                assertThat(outcomes).containsExactlyInAnyOrder("created", "conflict: expected 0, actual 1");
                long winner = outcomes.getFirst().equals("created") ? 10 : 20;
                assertThat(store().load(new StateKey(ACTOR_TYPE, id, "counter")))
                    .contains(new StoredState("{\"count\":" + winner + "}", 1));
            }
            finally {
                threads.shutdownNow();
            }
        }
    }

    @Test
    public void corruptPayloadFailsTheActivationNamingTheKeyAndIsNeverReset() {
        assertCorruptPayloadIsReported("{not json");
    }

    @Test
    public void payloadOfTheWrongShapeFailsTheActivationNamingTheKey() {
        assertCorruptPayloadIsReported("{\"count\":\"many\"}");
    }

    private void assertCorruptPayloadIsReported(String payload) {
        String id = newId();
        StateKey key = new StateKey(ACTOR_TYPE, id, "counter");
        store().save(key, payload, 0);
        try (ActorRuntime runtime = runtime()) {
            for (int attempt = 0; attempt < 2; attempt++) {
                ActivationException failure = catchThrowableOfType(ActivationException.class,
                        () -> runtime.get(ContractCounter.class, id).countSeenOnActivate());
                assertThat(failure).hasMessageContaining(ACTOR_TYPE + "/" + id).hasMessageContaining(key.toString());
                assertThat(failure.getCause()).isInstanceOf(StateSerializationException.class)
                    .hasMessageContaining(key.toString());
                assertThat(((StateSerializationException) failure.getCause()).getKey()).isEqualTo(key);
                assertThat(runtime.isActive(ContractCounter.class, id)).isFalse();
            }
        }
        assertThat(store().load(key)).contains(new StoredState(payload, 1));
    }

    /**
     * Builds a runtime, one silo, whose {@link ContractCounter} actors keep their state in the store under test.
     * @return the runtime; close it
     */
    protected ActorRuntime runtime() {
        return ActorRuntime.builder()
            .actor(ContractCounterActor.class, ContractCounterActor::new)
            .activationHook(new StateActivationHook(StateStoreRegistry.of(store()), new JsonStateSerializer()))
            .callTimeout(Duration.ofMinutes(4))
            .build();
    }

    private static <T> Callable<T> racer(CountDownLatch start, Callable<T> work) {
        return () -> {
            if (!start.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the race did not start");
            }
            return work.call();
        };
    }

    /**
     * Saves, and returns the new version, or -1 when the save lost to another writer.
     */
    private long saveOrLose(StateKey key, String payload, long expectedVersion) {
        try {
            return store().save(key, payload, expectedVersion);
        }
        catch (ConcurrencyException ex) {
            assertThat(ex.getExpectedVersion()).isEqualTo(expectedVersion);
            assertThat(ex.getActualVersion()).isEqualTo(expectedVersion + 1);
            return -1;
        }
    }

    /**
     * The actor the contract tests run: one persistent counter.
     */
    public interface ContractCounter extends Actor {

        /**
         * Adds one to the counter and saves it, reloading and retrying after each conflict.
         * @return how many conflicts it took
         */
        long incrementWithRetries();

        /**
         * Saves the counter with a value, expecting it not to exist.
         * @param value the value
         * @return {@code created} or a description of the conflict
         */
        String createOnce(long value);

        /**
         * Returns the counter as {@code onActivate} saw it.
         * @return the count, or -1 when the state did not exist
         */
        long countSeenOnActivate();

        /**
         * Reloads the counter and returns it.
         * @return the count
         */
        long reloadAndGet();

        /**
         * Returns how many saves this activation attempted.
         * @return the number of saves, successful or not
         */
        long attempts();

        /**
         * Deletes the counter.
         */
        void clear();
    }

    /**
     * The counter's state.
     *
     * @param count the count
     */
    public record Tally(long count) {

        static final Tally ZERO = new Tally(0);

        Tally next() {
            return new Tally(this.count + 1);
        }
    }

    @QuarkActor(name = ACTOR_TYPE)
    static final class ContractCounterActor extends AbstractActor implements ContractCounter {

        private static final int MAX_ATTEMPTS = 100_000;

        @ActorState(name = "counter")
        private PersistentState<Tally> tally;

        private long seenOnActivate;

        private long attempts;

        @Override
        protected void onActivate() {
            this.seenOnActivate = this.tally.exists() ? this.tally.get().count() : -1;
        }

        @Override
        public long incrementWithRetries() {
            for (long conflicts = 0; conflicts < MAX_ATTEMPTS; conflicts++) {
                long expected = this.tally.version();
                this.tally.update(Tally.ZERO, Tally::next);
                this.attempts++;
                try {
                    this.tally.save();
                    if (this.tally.version() != expected + 1) {
                        throw new AssertionError("saved version " + this.tally.version() + " after " + expected);
                    }
                    return conflicts;
                }
                catch (ConcurrencyException ex) {
                    if (ex.getExpectedVersion() != expected || ex.getActualVersion() <= expected
                            || !ex.getKey().equals(this.tally.key())) {
                        throw new AssertionError("conflict names the wrong versions or key: " + ex.getMessage(), ex);
                    }
                    this.tally.reload();
                }
            }
            throw new IllegalStateException("gave up after " + MAX_ATTEMPTS + " conflicts");
        }

        @Override
        public String createOnce(long value) {
            this.tally.set(new Tally(value));
            try {
                this.tally.save();
                return "created";
            }
            catch (ConcurrencyException ex) {
                return "conflict: expected " + ex.getExpectedVersion() + ", actual " + ex.getActualVersion();
            }
        }

        @Override
        public long countSeenOnActivate() {
            return this.seenOnActivate;
        }

        @Override
        public long reloadAndGet() {
            this.tally.reload();
            return this.tally.get().count();
        }

        @Override
        public long attempts() {
            return this.attempts;
        }

        @Override
        public void clear() {
            this.tally.clear();
        }
    }
}
