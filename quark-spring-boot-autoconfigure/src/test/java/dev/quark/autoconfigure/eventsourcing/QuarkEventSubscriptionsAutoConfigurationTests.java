package dev.quark.autoconfigure.eventsourcing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.health.EventSubscriptionsHealthIndicator;
import dev.quark.autoconfigure.health.QuarkEventSubscriptionsHealthContributorAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.metrics.MicrometerEventSubscriptionMetrics;
import dev.quark.autoconfigure.metrics.QuarkMetricsAutoConfiguration;
import dev.quark.eventsourcing.EventFeed;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventSubscriptionDefinition;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.StoredEvent;
import dev.quark.eventsourcing.memory.InMemoryEventStore;
import dev.quark.eventsourcing.subscription.EventSubscriptionRunner;
import dev.quark.eventsourcing.subscription.SubscriptionState;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class QuarkEventSubscriptionsAutoConfigurationTests {

    private static final List<StoredEvent> HANDLED = new CopyOnWriteArrayList<>();

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                QuarkEventStoreAutoConfiguration.class, QuarkEventSubscriptionsAutoConfiguration.class,
                QuarkEventSubscriptionsHealthContributorAutoConfiguration.class))
        .withPropertyValues("quark.eventstore.subscriptions.poll-interval=50ms");

    private static EventSubscriptionDefinition recording(String name) {
        return EventSubscriptionDefinition.of(name, HANDLED::add);
    }

    private static void append(ConfigurableApplicationContext context, String stream) {
        context.getBean(EventStore.class)
            .append(stream, List.of(new NewEvent(UUID.randomUUID(), "Noted", 1, "{}")), EventStore.ANY_VERSION);
    }

    @Test
    void withoutASubscriptionThereIsNoRunner() {
        this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
            .doesNotHaveBean(EventSubscriptionRunner.class)
            .doesNotHaveBean(EventSubscriptionsLifecycle.class));
    }

    @Test
    void everyDeclaredSubscriptionIsFollowedInTheBackgroundAndStoppedWithTheContext() {
        String stream = "orders/" + UUID.randomUUID();
        EventSubscriptionRunner[] runner = new EventSubscriptionRunner[1];
        LeaseStore[] leases = new LeaseStore[1];
        EventSubscriptionsHealthIndicator[] indicator = new EventSubscriptionsHealthIndicator[1];
        this.contextRunner.withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .withBean("totals", EventSubscriptionDefinition.class,
                    () -> EventSubscriptionDefinition.of("totals", (event) -> { }))
            .run((context) -> {
                assertThat(context).hasSingleBean(EventSubscriptionRunner.class);
                runner[0] = context.getBean(EventSubscriptionRunner.class);
                leases[0] = context.getBean(QuarkLeasesAutoConfiguration.MEMORY_LEASE_STORE, LeaseStore.class);
                assertThat(runner[0].isRunning()).isTrue();
                assertThat(runner[0].names()).containsExactlyInAnyOrder("balances", "totals");
                append(context, stream);
                await().atMost(Duration.ofSeconds(30))
                    .until(() -> HANDLED.stream().anyMatch((event) -> event.stream().equals(stream)));
                indicator[0] = context.getBean(EventSubscriptionsHealthIndicator.class);
                Health health = indicator[0].health();
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails()).containsEntry("owner", runner[0].owner());
                assertThat(health.getDetails().get("subscriptions").toString()).contains("balances={state=FOLLOWING")
                    .contains("fencingTokensLost=0")
                    .doesNotContain("lastFencingTokensLoss");
                assertThat(leases[0]).isInstanceOf(InMemoryLeaseStore.class);
                assertThat(leases[0].holder(EventSubscriptionRunner.RESOURCE + "balances")).isPresent();
            });
        assertThat(runner[0].isRunning()).isFalse();
        assertThat(runner[0].status("balances").state()).isEqualTo(SubscriptionState.STOPPED);
        assertThat(leases[0].holder(EventSubscriptionRunner.RESOURCE + "balances")).isEmpty();
        Health stopped = indicator[0].health();
        assertThat(stopped.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
        assertThat(stopped.getDetails().get("subscriptions").toString()).contains("balances={state=STOPPED");
    }

    @Test
    void handledEventsAndFailuresAreCountedInMicrometer() {
        String stream = "orders/" + UUID.randomUUID();
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class, QuarkMetricsAutoConfiguration.class))
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                append(context, stream);
                // The meters are updated after the handler returns: wait for the counts, not just the meters.
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(HANDLED).anyMatch((event) -> event.stream().equals(stream));
                    Counter events = registry.find(MicrometerEventSubscriptionMetrics.EVENTS)
                        .tag("subscription", "balances")
                        .counter();
                    Timer lateness = registry.find(MicrometerEventSubscriptionMetrics.LATENESS)
                        .tag("subscription", "balances")
                        .timer();
                    assertThat(events).isNotNull();
                    assertThat(events.count()).isGreaterThanOrEqualTo(1);
                    assertThat(lateness).isNotNull();
                    assertThat(lateness.count()).isGreaterThanOrEqualTo(1);
                });
            });
    }

    /**
     * A subscription's counters exist, at zero, as soon as its runner starts: Prometheus' {@code increase()} over the
     * first incident of lost tokens then sees it (a counter that first appears at 1 reads as no increase).
     */
    @Test
    void aSubscriptionsCountersAreRegisteredAtZeroWhenItsRunnerStarts() {
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class, QuarkMetricsAutoConfiguration.class))
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> {
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                for (String name : List.of(MicrometerEventSubscriptionMetrics.TOKENS_LOST,
                        MicrometerEventSubscriptionMetrics.FAILURES, MicrometerEventSubscriptionMetrics.DEAD_LETTERS)) {
                    Counter counter = registry.find(name).tag("subscription", "balances").counter();
                    assertThat(counter).as(name).isNotNull();
                    assertThat(counter.count()).as(name).isZero();
                }
            });
    }

    @Test
    void anEventTheHandlerFailsOnMaxAttemptsTimesIsDeadLetteredCountedAndShownAndTheSubscriptionGoesOn() {
        String stream = "orders/" + UUID.randomUUID();
        List<StoredEvent> handled = new CopyOnWriteArrayList<>();
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class, QuarkMetricsAutoConfiguration.class))
            .withPropertyValues("quark.eventstore.subscriptions.max-attempts=2",
                    "quark.eventstore.subscriptions.initial-backoff=10ms")
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withBean("ledger", EventSubscriptionDefinition.class, () -> EventSubscriptionDefinition.of("ledger",
                    (event) -> {
                        if (event.stream().equals(stream) && event.version() == 1) {
                            throw new IllegalStateException("poison");
                        }
                        handled.add(event);
                    }))
            .run((context) -> {
                append(context, stream);
                append(context, stream);
                EventSubscriptionRunner runner = context.getBean(EventSubscriptionRunner.class);
                await().atMost(Duration.ofSeconds(30))
                    .until(() -> handled.stream().anyMatch((event) -> event.stream().equals(stream)));
                assertThat(runner.deadLetters().list("ledger", 10)).singleElement().satisfies((letter) -> {
                    assertThat(letter.event().stream()).isEqualTo(stream);
                    assertThat(letter.event().version()).isEqualTo(1);
                    assertThat(letter.attempts()).isEqualTo(2);
                    assertThat(letter.error()).isEqualTo("java.lang.IllegalStateException: poison");
                });
                Counter deadLetters = context.getBean(MeterRegistry.class)
                    .find(MicrometerEventSubscriptionMetrics.DEAD_LETTERS)
                    .tag("subscription", "ledger")
                    .counter();
                assertThat(deadLetters).isNotNull();
                assertThat(deadLetters.count()).isEqualTo(1);
                Health health = context.getBean(EventSubscriptionsHealthIndicator.class).health();
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails().get("subscriptions").toString()).contains("deadLettered=1");
            });
    }

    @Test
    void aSubscriptionOnAStoreWithoutAFeedFailsStartUpNamingIt() {
        this.contextRunner.withPropertyValues("quark.eventstore.backend=redis")
            .withBean(RedisConnectionFactory.class, LettuceConnectionFactory::new)
            .withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Event subscription 'balances' needs a global feed")
                    .hasMessageContaining("quark.eventstore.backend=redis")
                    .hasMessageContaining("quark.eventstore.subscriptions.enabled=false");
            });
    }

    @Test
    void twoDefinitionsWithOneNameFailStartUpNamingIt() {
        this.contextRunner.withBean("first", EventSubscriptionDefinition.class, () -> recording("balances"))
            .withBean("second", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Event subscription name 'balances' is declared twice"));
    }

    @Test
    void badSettingsFailStartUpNamingTheProperty() {
        this.contextRunner.withPropertyValues("quark.eventstore.subscriptions.poll-interval=0s")
            .withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("quark.eventstore.subscriptions.poll-interval"));
        this.contextRunner
            .withPropertyValues("quark.eventstore.subscriptions.initial-backoff=10s",
                    "quark.eventstore.subscriptions.max-backoff=1s")
            .withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .hasMessageContaining("quark.eventstore.subscriptions.max-backoff")
                .hasMessageContaining("must be at least quark.eventstore.subscriptions.initial-backoff (PT10S)"));
        this.contextRunner.withPropertyValues("quark.eventstore.subscriptions.max-attempts=0")
            .withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("quark.eventstore.subscriptions.max-attempts"));
    }

    /** Spreading counts the nodes through member slot leases; {@code spread=false} takes none. */
    @Test
    void spreadingTakesAMemberSlotUnlessTurnedOff() {
        List<String> slots = EventSubscriptionRunner.memberSlots(List.of("balances", "totals"));
        assertThat(slots).hasSize(2);
        this.contextRunner.withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .withBean("totals", EventSubscriptionDefinition.class, () -> recording("totals"))
            .run((context) -> {
                LeaseStore leases = context.getBean(QuarkLeasesAutoConfiguration.MEMORY_LEASE_STORE, LeaseStore.class);
                String owner = context.getBean(EventSubscriptionRunner.class).owner();
                await().atMost(Duration.ofSeconds(30)).until(() -> slots.stream()
                    .anyMatch((slot) -> leases.holder(slot).filter((holder) -> holder.owner().equals(owner))
                        .isPresent()));
            });
        this.contextRunner.withPropertyValues("quark.eventstore.subscriptions.spread=false")
            .withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .withBean("totals", EventSubscriptionDefinition.class, () -> recording("totals"))
            .run((context) -> {
                LeaseStore leases = context.getBean(QuarkLeasesAutoConfiguration.MEMORY_LEASE_STORE, LeaseStore.class);
                await().atMost(Duration.ofSeconds(30))
                    .until(() -> leases.holder(EventSubscriptionRunner.RESOURCE + "totals").isPresent()
                            && leases.holder(EventSubscriptionRunner.RESOURCE + "balances").isPresent());
                assertThat(slots).allSatisfy((slot) -> assertThat(leases.holder(slot)).isEmpty());
            });
    }

    @Test
    void theRunnerCanBeTurnedOffOrReplaced() {
        this.contextRunner.withPropertyValues("quark.eventstore.subscriptions.enabled=false")
            .withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(EventSubscriptionRunner.class));
        EventSubscriptionRunner own = EventSubscriptionRunner
            .builder(new InMemoryEventStore(), new InMemoryLeaseStore(Clock.systemUTC()),
                    List.of(recording("balances")))
            .owner("own")
            .build();
        this.contextRunner.withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .withBean("ownRunner", EventSubscriptionRunner.class, () -> own)
            .run((context) -> assertThat(context.getBean(EventSubscriptionRunner.class)).isSameAs(own));
    }

    @Test
    void theLifecycleStartsTheSubscriptionsAgainAfterAStop() {
        String stream = "orders/" + UUID.randomUUID();
        this.contextRunner.withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> {
                EventSubscriptionsLifecycle lifecycle = context.getBean(EventSubscriptionsLifecycle.class);
                EventSubscriptionRunner runner = context.getBean(EventSubscriptionRunner.class);
                lifecycle.stop();
                assertThat(lifecycle.isRunning()).isFalse();
                lifecycle.start();
                assertThat(lifecycle.isRunning()).isTrue();
                append(context, stream);
                await().atMost(Duration.ofSeconds(30))
                    .until(() -> HANDLED.stream().anyMatch((event) -> event.stream().equals(stream)));
                assertThat(runner.status("balances").state()).isEqualTo(SubscriptionState.FOLLOWING);
            });
    }

    @Test
    void aSubscriptionWhoseThreadEndedMakesTheHealthDown() {
        String stream = "orders/" + UUID.randomUUID();
        this.contextRunner
            .withBean("broken", EventSubscriptionDefinition.class, () -> EventSubscriptionDefinition.of("broken",
                    (event) -> {
                        if (event.stream().equals(stream)) {
                            throw new InternalError("the JVM is in trouble");
                        }
                    }))
            .run((context) -> {
                EventSubscriptionRunner runner = context.getBean(EventSubscriptionRunner.class);
                append(context, stream);
                // The error ends the thread as uncaught: it is what the test is about, not a failure of the wait.
                await().dontCatchUncaughtExceptions()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> runner.status("broken").state() == SubscriptionState.FAILED);
                Health health = context.getBean(EventSubscriptionsHealthIndicator.class).health();
                assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                assertThat(health.getDetails().get("subscriptions").toString()).contains("broken={state=FAILED");
            });
    }

    /**
     * The lease store's tokens went back (here: the checkpoint stamped by a token 40 acquisitions ahead): the node raises
     * the store's tokens above the stamp and follows on a new lease, the health up, the incident counted once in
     * Micrometer. (A store that cannot raise its tokens fences the node out instead: the runner's tests.)
     */
    @Test
    void aSubscriptionWhoseLeaseStoresTokensWentBackRaisesThemFollowsAndCountsTheIncident() {
        String stream = "orders/" + UUID.randomUUID();
        this.contextRunner
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class, QuarkMetricsAutoConfiguration.class))
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> {
                EventSubscriptionsLifecycle lifecycle = context.getBean(EventSubscriptionsLifecycle.class);
                EventSubscriptionRunner runner = context.getBean(EventSubscriptionRunner.class);
                LeaseStore leases = context.getBean(QuarkLeasesAutoConfiguration.MEMORY_LEASE_STORE, LeaseStore.class);
                EventSubscriptionsHealthIndicator indicator = context.getBean(EventSubscriptionsHealthIndicator.class);
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                lifecycle.stop();
                long next = leases.tryAcquire("probe", "test", Duration.ofMinutes(1)).orElseThrow().token().value() + 1;
                EventFeed feed = context.getBean(EventStore.class).feed().orElseThrow();
                feed.claimCheckpoint("balances", new Lease(EventSubscriptionRunner.RESOURCE + "balances", "lost-store",
                        new FencingToken(next + 40), Instant.now().plus(Duration.ofMinutes(1))));
                append(context, stream);
                lifecycle.start();

                await().atMost(Duration.ofSeconds(30))
                    .until(() -> HANDLED.stream().anyMatch((event) -> event.stream().equals(stream)));
                assertThat(HANDLED).filteredOn((event) -> event.stream().equals(stream)).hasSize(1);
                assertThat(feed.checkpointStamp("balances").orElseThrow()).isGreaterThan(new FencingToken(next + 40));
                Health following = indicator.health();
                assertThat(following.getStatus()).isEqualTo(Status.UP);
                assertThat(following.getDetails().get("subscriptions").toString())
                    .contains("balances={state=FOLLOWING", "fencingTokensLost=1", "lastFencingTokensLoss=");
                assertThat(runner.status("balances").state()).isEqualTo(SubscriptionState.FOLLOWING);
                Counter lost = registry.find(MicrometerEventSubscriptionMetrics.TOKENS_LOST)
                    .tag("subscription", "balances")
                    .counter();
                assertThat(lost).isNotNull();
                assertThat(lost.count()).isOne();
            });
    }

    @Test
    void theEventStoreNeedsALeaseStoreOnlyForDeclaredSubscriptions() {
        ApplicationContextRunner otherAreasOnRedis = this.contextRunner
            .withPropertyValues("quark.backend=redis", "quark.eventstore.backend=memory")
            .withBean(RedisConnectionFactory.class, LettuceConnectionFactory::new);
        otherAreasOnRedis.run((context) -> assertThat(context).hasNotFailed()
            .doesNotHaveBean(QuarkLeasesAutoConfiguration.MEMORY_LEASE_STORE));
        otherAreasOnRedis.withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> assertThat(context).hasNotFailed()
                .hasBean(QuarkLeasesAutoConfiguration.MEMORY_LEASE_STORE));
        this.contextRunner.withPropertyValues("quark.backend=memory", "quark.eventstore.backend=redis")
            .withBean(RedisConnectionFactory.class, LettuceConnectionFactory::new)
            .run((context) -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(QuarkLeasesAutoConfiguration.REDIS_LEASE_STORE));
    }

    @Test
    void aNodeIdLongerThanALeaseOwnerFailsStartUpNamingTheLimit() {
        this.contextRunner.withPropertyValues("quark.eventstore.subscriptions.node-id=" + "n".repeat(256))
            .withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 255 characters long")
                .hasMessageContaining("quark.eventstore.subscriptions.node-id"));
    }

    @Test
    void theNodeIdNamesTheLeaseOwner() {
        this.contextRunner.withPropertyValues("quark.eventstore.subscriptions.node-id=node-7")
            .withBean("balances", EventSubscriptionDefinition.class, () -> recording("balances"))
            .run((context) -> assertThat(context.getBean(EventSubscriptionRunner.class).owner()).isEqualTo("node-7"));
    }
}
