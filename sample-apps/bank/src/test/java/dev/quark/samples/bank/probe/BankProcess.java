package dev.quark.samples.bank.probe;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import dev.quark.testkit.process.ApplicationProcess;
import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.awaitility.Awaitility.await;

/**
 * One bank node: the sample's executable jar started as an {@link ApplicationProcess} on a free loopback port, its
 * outbox dispatcher and its event subscription runner named after it ({@code quark.messaging.node-id},
 * {@code quark.eventstore.subscriptions.node-id}). {@link #kill()} is a {@code SIGKILL} on Linux:
 * the node has no chance to release its partitions or to record a delivery in flight.
 */
final class BankProcess implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

    private final String name;

    private final int httpPort;

    private final ApplicationProcess process;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private BankProcess(String name, int httpPort, ApplicationProcess process) {
        this.name = name;
        this.httpPort = httpPort;
        this.process = process;
    }

    /**
     * Starts a node without waiting for it to serve.
     * @param jar the sample's executable jar
     * @param name the node's name: its outbox and subscription node ids and the name of its log
     * @param properties further {@code name=value} properties
     * @param logs the folder of its log
     * @return the started process
     */
    static BankProcess start(Path jar, String name, List<String> properties, Path logs) {
        int httpPort = ApplicationProcess.freeLoopbackPort();
        List<String> all = new ArrayList<>();
        all.add("server.port=" + httpPort);
        all.add("quark.messaging.node-id=" + name);
        all.add("quark.eventstore.subscriptions.node-id=" + name);
        all.addAll(properties);
        return new BankProcess(name, httpPort, ApplicationProcess.start(jar, name, all, logs));
    }

    String name() {
        return this.name;
    }

    boolean isAlive() {
        return this.process.isAlive();
    }

    /**
     * Waits until the node's outbox health is {@code UP}, as {@link #awaitServing} does.
     * @param deadline when to give up, in {@link System#nanoTime()}
     * @param startTimeout the time the deadline was set from, for the failure's message
     * @throws AssertionError when the node exited or did not serve by the deadline
     */
    void awaitOutboxUp(long deadline, Duration startTimeout) {
        awaitServing(deadline, startTimeout, BankProcess::outboxHealth,
                (health) -> "UP".equals(health.path("status").asString()));
    }

    /**
     * Waits until the node follows a subscription or stands by for it, as {@link #awaitServing} does.
     * @param subscription the subscription's name
     * @param deadline when to give up, in {@link System#nanoTime()}
     * @param startTimeout the time the deadline was set from, for the failure's message
     * @throws AssertionError when the node exited or did not serve by the deadline
     */
    void awaitSubscriptionServed(String subscription, long deadline, Duration startTimeout) {
        awaitServing(deadline, startTimeout, (node) -> node.subscriptionState(subscription),
                (state) -> state.equals("FOLLOWING") || state.equals("STANDBY"));
    }

    /**
     * Waits until the node serves: until what {@code answer} reads from it satisfies {@code serving}, polled every
     * 250 ms. A node that does not answer yet is polled again; a node that exited fails at once.
     * @param <T> what the node answers
     * @param deadline when to give up, in {@link System#nanoTime()}; at least one second is given, even when it
     * has passed (the nodes of a test start together and share one deadline)
     * @param startTimeout the time the deadline was set from, for the failure's message
     * @param answer reads the node's answer
     * @param serving whether the answer says the node serves
     * @throws AssertionError when the node exited or did not serve by the deadline, with the last answer and the
     * tail of its log
     */
    private <T> void awaitServing(long deadline, Duration startTimeout, Answer<T> answer, Predicate<? super T> serving) {
        AtomicReference<String> last = new AtomicReference<>("no answer");
        Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), TimeUnit.SECONDS.toNanos(1)));
        try {
            await(this.name + " serves").atMost(left).pollInterval(Duration.ofMillis(250)).until(() -> {
                if (!isAlive()) {
                    throw new IllegalStateException(this + " exited:\n" + logTail(60));
                }
                try {
                    T read = answer.read(this);
                    last.set(String.valueOf(read));
                    return serving.test(read);
                }
                catch (IOException ex) {
                    last.set(ex.toString());
                    return false;
                }
            });
        }
        catch (ConditionTimeoutException ex) {
            throw new AssertionError(this + " did not serve within " + startTimeout + "; last answer: " + last + "\n"
                    + logTail(60), ex);
        }
    }

    /**
     * What {@link #awaitServing} reads from a node.
     * @param <T> the answer
     */
    @FunctionalInterface
    private interface Answer<T> {

        /**
         * Reads the node's answer.
         * @param node the node
         * @return its answer
         * @throws IOException when the node does not answer (yet)
         * @throws InterruptedException when interrupted
         */
        T read(BankProcess node) throws IOException, InterruptedException;
    }

    /**
     * Reads the node's outbox health ({@code /actuator/health/quarkOutbox}).
     * @return the answer's body
     * @throws IOException when the node does not answer
     * @throws InterruptedException when interrupted
     */
    JsonNode outboxHealth() throws IOException, InterruptedException {
        HttpResponse<String> response = this.http.send(HttpRequest.newBuilder(uri("/actuator/health/quarkOutbox"))
            .timeout(REQUEST_TIMEOUT)
            .GET()
            .build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    /**
     * Reads the node's event subscriptions health ({@code /actuator/health/quarkEventSubscriptions}).
     * @return the answer's body
     * @throws IOException when the node does not answer
     * @throws InterruptedException when interrupted
     */
    JsonNode subscriptionsHealth() throws IOException, InterruptedException {
        HttpResponse<String> response = this.http.send(
                HttpRequest.newBuilder(uri("/actuator/health/quarkEventSubscriptions"))
                    .timeout(REQUEST_TIMEOUT)
                    .GET()
                    .build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    /**
     * Returns what this node does with a subscription, from its subscriptions health.
     * @param subscription the subscription's name
     * @return its state ({@code FOLLOWING}, {@code STANDBY}, ...), empty when the answer has none
     * @throws IOException when the node does not answer
     * @throws InterruptedException when interrupted
     */
    String subscriptionState(String subscription) throws IOException, InterruptedException {
        return subscriptionsHealth().path("details").path("subscriptions").path(subscription).path("state").asString("");
    }

    /**
     * Returns the partitions this node's dispatcher holds, from its outbox health.
     * @return the partitions, empty when it holds none or does not answer as expected
     * @throws IOException when the node does not answer
     * @throws InterruptedException when interrupted
     */
    Set<Integer> partitions() throws IOException, InterruptedException {
        Set<Integer> partitions = new TreeSet<>();
        outboxHealth().path("details").path("partitions").forEach((partition) -> partitions.add(partition.asInt()));
        return partitions;
    }

    /**
     * Runs one probe transaction on the node: {@code count} messages of {@code key} numbered from {@code first}.
     * @param key the key
     * @param first the first message's number
     * @param count how many messages
     * @param rollback whether the transaction rolls back
     * @throws IOException when the node does not answer
     * @throws InterruptedException when interrupted
     * @throws IllegalStateException when the node answers otherwise than committed, or rolled back, as asked
     */
    void transaction(String key, long first, int count, boolean rollback) throws IOException, InterruptedException {
        HttpResponse<String> response = this.http.send(HttpRequest
            .newBuilder(uri("/outbox-probe/transactions?key=" + key + "&first=" + first + "&count=" + count
                    + "&rollback=" + rollback))
            .timeout(REQUEST_TIMEOUT)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200
                || JSON.readTree(response.body()).path("committed").asBoolean() == rollback) {
            throw new IllegalStateException("The transaction " + key + "#" + first + " (rollback " + rollback + ") on "
                    + this + " was answered " + response.statusCode() + " " + response.body());
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + this.httpPort + path);
    }

    /**
     * Kills the JVM at once ({@code SIGKILL} on Linux) and waits until it is gone.
     */
    void kill() {
        this.process.kill();
    }

    /**
     * Kills the node if it still runs.
     */
    @Override
    public void close() {
        this.http.close();
        this.process.close();
    }

    String logTail(int lines) {
        return this.process.logTail(lines);
    }

    @Override
    public String toString() {
        return "node " + this.process + ", http " + this.httpPort;
    }
}
