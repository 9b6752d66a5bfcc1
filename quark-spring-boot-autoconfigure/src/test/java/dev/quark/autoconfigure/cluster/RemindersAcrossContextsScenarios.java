package dev.quark.autoconfigure.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.fixtures.bell.Bell;
import dev.quark.autoconfigure.fixtures.bell.BellActor;
import dev.quark.autoconfigure.fixtures.bell.BellLog;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.reminders.QuarkRemindersAutoConfiguration;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderTickManager;
import dev.quark.runtime.ActorAddress;
import dev.quark.runtime.ActorRuntime;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.grpc.server.autoconfigure.GrpcServerAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Application contexts in one JVM form a cluster (in-memory membership, the transport of the subclass) and share
 * one reminder table on the backend of the subclass, as silos of one application share a database. The table is
 * read only every hour ({@code quark.reminders.refresh-interval}), so what fires sooner was brought by a notice
 * or by a bucket's hand-over.
 */
abstract class RemindersAcrossContextsScenarios {

    /** Long enough that a claim round retried after a busy lease ({@code lease-duration / 4}) shows. */
    private static final Duration LEASE_DURATION = Duration.ofSeconds(12);

    final String cluster = "reminder-contexts-" + System.nanoTime();

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    @AfterEach
    void close() {
        this.contexts.forEach(ConfigurableApplicationContext::close);
    }

    @Test
    void aReminderRegisteredOnASiloThatDoesNotFireItsBucketFiresOnTimeOnTheSiloThatDoes() {
        ConfigurableApplicationContext registering = start("silo-0");
        ConfigurableApplicationContext firing = start("silo-1");
        awaitBucketsSplitBetween(List.of(registering, firing));
        String id = idInBucketOf(firing, "notice-");
        Instant registeredAt = Instant.now();
        registering.getBean(ActorRefFactory.class).get(Bell.class, id).ringIn("soon", Duration.ofSeconds(1));
        assertThat(registering.getBean(ActorRuntime.class).isActive(Bell.class, id))
            .as("the bell lives on the silo that registered it").isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> !BellLog.SHARED.of(id).isEmpty());
        BellLog.Ring ring = BellLog.SHARED.of(id).get(0);
        assertThat(ring.scheduledAt()).isAfterOrEqualTo(registeredAt.plusSeconds(1).minusMillis(1));
        assertThat(ring.lateness()).isLessThan(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                firing.getBean(ReminderTickManager.class).stats().delivered()).isEqualTo(1));
        assertThat(registering.getBean(ReminderTickManager.class).stats().delivered()).isZero();
    }

    @Test
    void aSiloThatStopsHandsItsBucketsOverWithoutWaitingForAClaimRound() {
        ConfigurableApplicationContext leaving = start("silo-0");
        ConfigurableApplicationContext staying = start("silo-1");
        awaitBucketsSplitBetween(List.of(leaving, staying));
        String prefix = "handover-" + System.nanoTime() + "-";
        List<String> ids = IntStream.range(0, 24).mapToObj((i) -> prefix + i).toList();
        for (String id : ids) {
            leaving.getBean(ActorRefFactory.class).get(Bell.class, id).ringEvery("beat", Duration.ofMillis(300));
        }
        ActorRuntime runtime = leaving.getBean(ActorRuntime.class);
        assertThat(ids).as("some bells are in buckets the leaving silo fires")
            .anyMatch((id) -> firesBucketOf(leaving, id));
        await().atMost(Duration.ofSeconds(10)).until(() -> ids.stream().allMatch((id) -> BellLog.SHARED.of(id).size() >= 2));
        Instant stoppedAt = Instant.now();
        this.contexts.remove(leaving);
        leaving.close();
        assertThat(runtime.isRunning()).isFalse();
        // Each bell must ring for an instant after one claim round (lease-duration / 4) past the stop: a silo
        // that left its buckets to the next claim round would have fired the missed instants late by then.
        Instant settled = stoppedAt.plus(LEASE_DURATION.dividedBy(4));
        await().atMost(Duration.ofSeconds(20))
            .until(() -> ids.stream().allMatch((id) -> BellLog.SHARED.of(id).stream()
                .anyMatch((ring) -> ring.scheduledAt().isAfter(settled))));
        Duration latest = ids.stream()
            .flatMap((id) -> BellLog.SHARED.of(id).stream())
            .filter((ring) -> ring.firedAt().isAfter(stoppedAt))
            .map(BellLog.Ring::lateness)
            .max(Duration::compareTo)
            .orElseThrow();
        assertThat(latest).as("the latest tick after the stop, shorter than a claim round (lease-duration / 4)")
            .isLessThan(LEASE_DURATION.dividedBy(8));
    }

    private void awaitBucketsSplitBetween(List<ConfigurableApplicationContext> silos) {
        await().atMost(Duration.ofSeconds(20)).until(() -> silos.stream()
            .allMatch((context) -> context.getBean(SiloMembership.class).current().membership()
                .withStatus(SiloStatus.ACTIVE).size() == silos.size()));
        await().atMost(Duration.ofSeconds(20)).until(() -> silos.stream()
            .mapToInt((context) -> context.getBean(ReminderTickManager.class).ownedBuckets().size())
            .sum() == ReminderBuckets.COUNT && silos.stream()
            .allMatch((context) -> !context.getBean(ReminderTickManager.class).ownedBuckets().isEmpty()));
    }

    private static String idInBucketOf(ConfigurableApplicationContext silo, String prefix) {
        String base = prefix + System.nanoTime() + "-";
        return IntStream.range(0, 1_000)
            .mapToObj((i) -> base + i)
            .filter((id) -> firesBucketOf(silo, id))
            .findFirst()
            .orElseThrow();
    }

    private static boolean firesBucketOf(ConfigurableApplicationContext silo, String id) {
        ActorAddress address = new ActorAddress(silo.getBean(ActorRuntime.class).wireNameOf(Bell.class), id);
        return silo.getBean(ReminderTickManager.class).ownedBuckets().contains(ReminderBuckets.of(address));
    }

    /**
     * Returns the configuration that gives the contexts their reminder table.
     * @return a configuration class
     */
    abstract Class<?> backendConfiguration();

    /**
     * Returns the properties that select and reach the reminders' backend.
     * @return properties as {@code name=value}
     */
    abstract List<String> backendProperties();

    /**
     * Returns the properties that choose the transport between the silos.
     * @param siloId the silo
     * @return properties as {@code name=value}; none for the in-JVM transport
     */
    List<String> transportProperties(String siloId) {
        return List.of();
    }

    private ConfigurableApplicationContext start(String siloId) {
        List<String> properties = new ArrayList<>(List.of("quark.cluster.enabled=true",
                "quark.cluster.name=" + this.cluster, "quark.cluster.silo.id=" + siloId,
                "quark.cluster.membership.backend=memory", "quark.persistence.backend=memory",
                "quark.cluster.leave-timeout=10s", "quark.reminders.refresh-interval=1h",
                "quark.reminders.lookahead=2h", "quark.reminders.lease-duration=" + LEASE_DURATION.toMillis() + "ms",
                "quark.reminders.retry.initial-backoff=100ms", "spring.main.banner-mode=off"));
        properties.addAll(backendProperties());
        properties.addAll(transportProperties(siloId));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(BellApplication.class,
                backendConfiguration())
            .web(WebApplicationType.NONE)
            .properties(properties.toArray(String[]::new))
            .run();
        this.contexts.add(context);
        return context;
    }

    /** The contexts' application: bells, and reminders fired under leases on the cluster. */
    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = BellActor.class)
    @ImportAutoConfiguration({ JacksonAutoConfiguration.class, QuarkActorsAutoConfiguration.class,
            QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
            QuarkRemindersAutoConfiguration.class, QuarkClusterAutoConfiguration.class,
            QuarkClusterGrpcAutoConfiguration.class, SslAutoConfiguration.class, GrpcServerAutoConfiguration.class })
    static class BellApplication {

    }

    static String orEmpty(@Nullable String value) {
        return (value != null) ? value : "";
    }
}
