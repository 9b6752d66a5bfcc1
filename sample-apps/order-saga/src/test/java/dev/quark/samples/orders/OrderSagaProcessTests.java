package dev.quark.samples.orders;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.RedisTestServer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import org.springframework.http.HttpStatus;
import org.springframework.web.client.RestClientException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two workers, each a JVM started from the sample's executable jar, share a store of this run alone — a PostgreSQL
 * schema with the {@code postgres} profile, a Redis key prefix with the {@code redis} profile; one of them is killed
 * with {@code SIGKILL} while an order waits for its approval (between activities) and another order's shipment runs
 * on it (inside an activity). The survivor completes both: every activity's result is in the history exactly once,
 * every activity's effect happened at least once (the shipment twice: once on the killed worker, once on the
 * survivor), and each order is one instance. The tests drive the workers over HTTP, read their effects from their
 * journals and the history directly from the store. Worker logs and effect journals are in
 * {@code target/worker-logs/<run>-<profile>}.
 * <p>
 * Needs PostgreSQL and Redis ({@code QUARK_TEST_POSTGRES_URL} and {@code QUARK_TEST_REDIS_URL}, else Testcontainers
 * or embedded servers); without one its run is skipped, and with {@code CI=true} it fails
 * ({@link PostgresTestServer#get()}, {@link RedisTestServer#get()}).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OrderSagaProcessTests {

    /**
     * How long the workers may take to start: two JVMs starting together took 35 to 90 s each on two cores shared
     * with several other builds.
     */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);

    /** How long a dead worker holds its work: short, so that the survivor takes it over soon. */
    private static final Duration LEASE_DURATION = Duration.ofSeconds(5);

    /**
     * How long every shipment takes: the window in which the worker running one is killed (the test reads the
     * journals every 20 ms), and what the survivor's shipment after the kill takes again.
     */
    private static final Duration SHIPPING_TIME = Duration.ofSeconds(4);

    /** How soon after the kill both orders must be complete: the lease, a shipment, and room for a busy machine. */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(60);

    private static final List<String> ACTIVITIES = List.of("ReserveStock", "ChargePayment", "ShipOrder");

    private final String run = Long.toHexString(System.currentTimeMillis()) + "-" + ProcessHandle.current().pid();

    private final List<WorkerProcess> workers = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void killWorkers() {
        killAll();
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = { "postgres", "redis" })
    void ordersOfAWorkerKilledBetweenAndInsideActivitiesCompleteOnTheSurvivorWithEachResultRecordedOnce(String profile)
            throws Exception {
        try (StoreContents store = StoreContents.create(profile)) {
            startTwoWorkers(profile, store);
            killAWorkerBetweenAndInsideActivities(profile, store);
        }
        finally {
            killAll();
        }
    }

    private void startTwoWorkers(String profile, StoreContents store) throws IOException {
        String built = System.getProperty("quark.sample.orders.jar");
        assumeTrue(built != null, "the process tests run with Failsafe in verify, which sets quark.sample.orders.jar");
        Path jar = Path.of(built);
        assertThat(jar).as("the sample's executable jar (built by package, before integration-test)").isRegularFile();
        Path logs = Path.of(System.getProperty("quark.sample.orders.logs", "target/worker-logs"))
            .resolve(this.run + "-" + profile);
        Files.createDirectories(logs);
        List<String> properties = new ArrayList<>(store.properties());
        properties.addAll(List.of("quark.durabletasks.worker.lease-duration=" + LEASE_DURATION.toMillis() + "ms",
                "orders.shipping-time=" + SHIPPING_TIME.toMillis() + "ms", "spring.main.banner-mode=off"));
        long started = System.nanoTime();
        this.workers.add(WorkerProcess.start(jar, "worker-a", properties, logs));
        this.workers.add(WorkerProcess.start(jar, "worker-b", properties, logs));
        for (WorkerProcess worker : List.copyOf(this.workers)) {
            awaitServing(worker);
        }
        log(profile + ": 2 workers serving after " + millisSince(started) + " ms: " + this.workers);
    }

    private void killAWorkerBetweenAndInsideActivities(String profile, StoreContents store) {
        WorkerProcess first = this.workers.get(0);
        Order waiting = order("tv", 250_000);
        Order shipping = order("lamp", 5_000);

        // the large order reserves its stock and waits for its approval: between activities
        assertThat(client(first).place(waiting).getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        awaitStage(first, waiting, "awaiting approval");
        WorkerProcess reserver = workerWithEffect("reserved", OrderActivities.stockKey(waiting)).orElseThrow();

        // the small one, placed on the worker that ran the other's activity, goes as far as its shipment, which
        // takes SHIPPING_TIME wherever it runs: inside an activity
        assertThat(client(reserver).place(shipping).getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        AtomicReference<WorkerProcess> shipper = new AtomicReference<>();
        await("the shipment of " + shipping.id() + " starts").atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(20))
            .until(() -> {
                shipper.set(workerWithEffect("shipped", OrderActivities.shipmentKey(shipping)).orElse(null));
                return shipper.get() != null;
            });
        WorkerProcess victim = shipper.get();
        victim.kill();
        long killedAt = System.nanoTime();
        WorkerProcess survivor = this.workers.stream().filter((worker) -> worker != victim).findFirst().orElseThrow();
        log(profile + ": killed " + victim + " inside the shipment of " + shipping.id() + "; " + waiting.id()
                + " waits for its approval, its stock reserved by " + reserver.name());

        assertThat(client(survivor).post("/orders/" + waiting.id() + "/approval", new Approval(true, "ann"))
            .getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
        Map<String, Object> shipped = awaitResult(survivor, shipping);
        Map<String, Object> approved = awaitResult(survivor, waiting);
        log(profile + ": both orders complete " + millisSince(killedAt) + " ms after the kill");
        assertThat(shipped).containsEntry("outcome", "SHIPPED");
        assertThat(approved).containsEntry("outcome", "SHIPPED");

        for (Order order : List.of(waiting, shipping)) {
            String instanceId = "order-" + order.id();
            assertThat(store.instances(instanceId)).as("instance records of %s", instanceId).isEqualTo(1);
            assertThat(client(survivor).place(order).getStatusCode()).as("placing %s again", order.id())
                .isEqualTo(HttpStatus.CONFLICT);
            List<JsonNode> history = store.history(instanceId);
            assertThat(count(history, "ExecutionStarted")).as("executions of %s", instanceId).isEqualTo(1);
            assertThat(count(history, "ExecutionCompleted")).as("completions of %s", instanceId).isEqualTo(1);
            assertThat(count(history, "TaskFailed")).as("failed activities of %s", instanceId).isZero();
            for (String activity : ACTIVITIES) {
                List<Integer> tasks = history.stream()
                    .filter((event) -> "TaskScheduled".equals(type(event)))
                    .filter((event) -> activity.equals(event.path("name").asString()))
                    .map(OrderSagaProcessTests::taskId)
                    .toList();
                assertThat(tasks).as("%s scheduled in %s", activity, instanceId).hasSize(1);
                assertThat(history.stream()
                    .filter((event) -> "TaskCompleted".equals(type(event)) && taskId(event) == tasks.get(0)))
                    .as("results of %s in %s", activity, instanceId)
                    .hasSize(1);
            }
            for (String effect : List.of("reserved " + OrderActivities.stockKey(order),
                    "charged " + OrderActivities.paymentKey(order), "shipped " + OrderActivities.shipmentKey(order))) {
                assertThat(allEffects()).as("effects of both workers").contains(effect);
            }
            assertThat(allEffects()).as("effects of both workers: nothing undone")
                .noneMatch((line) -> line.endsWith("-" + order.id()) && (line.startsWith("released")
                        || line.startsWith("refunded") || line.startsWith("cancelled")));
        }
        String shipment = "shipped " + OrderActivities.shipmentKey(shipping);
        assertThat(victim.effects()).as("effects of the killed worker").contains(shipment);
        assertThat(survivor.effects()).as("effects of the survivor: the shipment made again").contains(shipment);
    }

    private void awaitServing(WorkerProcess worker) {
        OrderSagaClient client = client(worker);
        AtomicReference<String> last = new AtomicReference<>("no answer");
        try {
            await(worker.name() + " serves").atMost(START_TIMEOUT)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!worker.isAlive()) {
                        throw new IllegalStateException(worker + " exited:\n" + worker.logTail(60));
                    }
                    try {
                        var health = client.read("/actuator/health/quarkDurableTasks");
                        last.set(health.getStatusCode() + " " + health.getBody());
                        return health.getStatusCode().is2xxSuccessful() && "UP".equals(health.getBody().get("status"));
                    }
                    catch (RestClientException ex) {
                        last.set(ex.toString());
                        return false;
                    }
                });
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError(worker + " did not serve within " + START_TIMEOUT + "; last answer: " + last
                    + "\n" + worker.logTail(60), ex);
        }
    }

    private void awaitStage(WorkerProcess worker, Order order, String stage) {
        await("order " + order.id() + " " + stage).atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(50))
            .until(() -> stage.equals(client(worker).get(order.id()).getBody().get("stage")));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> awaitResult(WorkerProcess worker, Order order) {
        try {
            await("order " + order.id() + " completed").atMost(RECOVERY_BOUND)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> "COMPLETED".equals(client(worker).get(order.id()).getBody().get("status")));
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError("order " + order.id() + " did not complete on " + worker + " within "
                    + RECOVERY_BOUND + " of the kill: " + client(worker).get(order.id()).getBody() + "\n"
                    + worker.logTail(60), ex);
        }
        return (Map<String, Object>) client(worker).get(order.id()).getBody().get("result");
    }

    private Optional<WorkerProcess> workerWithEffect(String effect, String key) {
        return List.copyOf(this.workers)
            .stream()
            .filter((worker) -> worker.effects().contains(effect + " " + key))
            .findFirst();
    }

    private List<String> allEffects() {
        return List.copyOf(this.workers).stream().flatMap((worker) -> worker.effects().stream()).toList();
    }

    private static long count(List<JsonNode> history, String type) {
        return history.stream().filter((event) -> type.equals(type(event))).count();
    }

    private static int taskId(JsonNode event) {
        return event.path("taskId").asInt();
    }

    private static String type(JsonNode event) {
        return event.path("type").asString();
    }

    private OrderSagaClient client(WorkerProcess worker) {
        return new OrderSagaClient(worker.httpPort(), Duration.ofSeconds(10));
    }

    private Order order(String item, long amount) {
        String id = item + "-" + this.run;
        return new Order(id, item, 1, amount, "card-" + id, "address");
    }

    private void killAll() {
        List.copyOf(this.workers).forEach(WorkerProcess::close);
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static void log(String message) {
        System.out.println("[OrderSagaProcessTests] " + message);
    }
}
