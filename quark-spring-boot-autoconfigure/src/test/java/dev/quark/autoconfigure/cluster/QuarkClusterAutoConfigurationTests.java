package dev.quark.autoconfigure.cluster;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import java.util.Set;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.MissingBackendDependencyException;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.fixtures.greeting.Greeter;
import dev.quark.autoconfigure.fixtures.greeting.GreeterActor;
import dev.quark.autoconfigure.fixtures.greeting.Salutation;
import dev.quark.autoconfigure.reminders.QuarkRemindersAutoConfiguration;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSettings;
import dev.quark.cluster.membership.MembershipState;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.routing.SiloRouting;
import dev.quark.cluster.transport.Transport;
import dev.quark.cluster.transport.jackson.ExceptionTypeContributor;
import dev.quark.lease.LeaseStore;
import dev.quark.reminder.ReminderBucketOwnership;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderNotices;
import dev.quark.reminder.ReminderTickManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

class QuarkClusterAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, QuarkActorsAutoConfiguration.class,
                QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class, QuarkRemindersAutoConfiguration.class,
                QuarkClusterAutoConfiguration.class, ClusterClientModeRequiresClusterAutoConfiguration.class))
        .withUserConfiguration(GreeterApplication.class);

    @Test
    void clientModeWithoutQuarkClusterEnabledFailsTheStartNamingBothProperties() {
        this.contextRunner.withPropertyValues("quark.cluster.mode=client").run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .hasMessageContaining("quark.cluster.mode")
                .hasMessageContaining("quark.cluster.enabled=true");
        });
        this.contextRunner.withPropertyValues("quark.cluster.mode=client", "quark.cluster.enabled=false")
            .run((context) -> assertThat(context).hasFailed());
        this.contextRunner.withPropertyValues("quark.cluster.mode=silo")
            .run((context) -> assertThat(context).hasNotFailed());
    }

    @Test
    void anExceptionTypeContributorThatThrowsFailsTheStartNamingIt(@TempDir Path classPath) throws IOException {
        Path services = classPath.resolve("META-INF/services/" + ExceptionTypeContributor.class.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, BrokenContributor.class.getName() + "\n");
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] { classPath.toUri().toURL() },
                getClass().getClassLoader())) {
            thread.setContextClassLoader(loader);
            this.contextRunner.withClassLoader(loader)
                .withPropertyValues("quark.cluster.enabled=true", "quark.cluster.name=broken-" + System.nanoTime())
                .run((context) -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure())
                        .hasMessageContaining("quarkClusterPayloadCodec")
                        .hasStackTraceContaining("Exception type contributor " + BrokenContributor.class.getName()
                                + " failed: java.lang.IllegalStateException: no exception types today")
                        .rootCause()
                        .hasMessage("no exception types today");
                });
        }
        finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** A contributor that throws. */
    public static final class BrokenContributor implements ExceptionTypeContributor {

        @Override
        public void contribute(Table table) {
            throw new IllegalStateException("no exception types today");
        }
    }

    @Test
    void withoutQuarkClusterEnabledNothingChanges() {
        this.contextRunner.run((context) -> {
            assertThat(context).hasNotFailed()
                .doesNotHaveBean(QuarkClusterProperties.class)
                .doesNotHaveBean(SiloRouting.class)
                .doesNotHaveBean(SiloMembership.class)
                .doesNotHaveBean(MembershipProvider.class)
                .doesNotHaveBean(Transport.class)
                .doesNotHaveBean(ReminderBucketOwnership.class);
            assertThat(context.getBean(ActorRefFactory.class).get(Greeter.class, "ann").greet("you"))
                .isEqualTo("Hello, you from ann");
        });
    }

    @Test
    void enabledTheSiloJoinsWithItsGeneratedIdAndServesCalls() {
        String cluster = "single-" + System.nanoTime();
        this.contextRunner.withPropertyValues("quark.cluster.enabled=true", "quark.cluster.name=" + cluster)
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(SiloRouting.class).hasSingleBean(SiloMembership.class);
                SiloMembership agent = context.getBean(SiloMembership.class);
                assertThat(agent.state()).isEqualTo(MembershipState.ACTIVE);
                assertThat(agent.settings().siloId()).startsWith("silo-");
                assertThat(agent.settings().clusterName()).isEqualTo(cluster);
                assertThat(agent.settings().actorTypes()).containsExactly("Greeter");
                assertThat(context.getBean(MembershipProvider.class)).isSameAs(JvmWideCluster.membership(cluster));
                assertThat(context.getBean(ActorRefFactory.class).get(Greeter.class, "bob").greet("you"))
                    .isEqualTo("Hello, you from bob");
                assertThat(context.getBean(ReminderBucketOwnership.class).ownedBuckets().size())
                    .isEqualTo(ReminderBuckets.COUNT);
                ReminderTickManager reminders = context.getBean(ReminderTickManager.class);
                await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(reminders.ownedBuckets().size()).isEqualTo(ReminderBuckets.COUNT));
                LeaseStore leases = context.getBean("quarkInMemoryLeaseStore", LeaseStore.class);
                assertThat(leases.holder("reminders:0")).as("the silo fires its buckets under leases")
                    .hasValueSatisfying((holder) -> assertThat(holder.owner()).isEqualTo(agent.settings().siloId()));
                assertThatIllegalStateException().as("reminder notices between silos are connected")
                    .isThrownBy(() -> context.getBean(SiloRouting.class).onNotice(ReminderNotices.TOPIC, (bytes) -> {
                    }))
                    .withMessageContaining("has a handler of notices on 'quark-reminders' already");
            });
        assertThat(JvmWideCluster.membership(cluster).read().withStatus(SiloStatus.DEAD)).hasSize(1);
    }

    @Test
    void aConfiguredSiloIdAndAdvertisedAddressAreWrittenToTheTable() {
        String cluster = "advertised-" + System.nanoTime();
        this.contextRunner
            .withPropertyValues("quark.cluster.enabled=true", "quark.cluster.name=" + cluster,
                    "quark.cluster.silo.id=alpha", "quark.cluster.silo.advertised-address=10.0.0.7",
                    "quark.cluster.silo.advertised-port=7000")
            .run((context) -> assertThat(JvmWideCluster.membership(cluster).read().silo("alpha"))
                .hasValueSatisfying((entry) -> assertThat(entry.address()).isEqualTo(new SiloAddress("10.0.0.7", 7000))));
    }

    @Test
    void defaultTimingsAreTheAgents() {
        QuarkClusterProperties properties = new QuarkClusterProperties();
        MembershipSettings agent = MembershipSettings.builder("s", new SiloAddress("h", 1)).build();
        assertThat(properties.toSettings(new SiloAddress("h", 1), Set.of()))
            .usingRecursiveComparison()
            .ignoringFields("siloId")
            .isEqualTo(agent);
    }

    @Test
    void badValuesFailTheStartNamingTheProperty() {
        assertInvalid("quark.cluster.name=a{b}", "quark.cluster.name", "a{b}");
        assertInvalid("quark.cluster.name=a b", "quark.cluster.name", "a b");
        assertInvalid("quark.cluster.probe-interval=0s", "quark.cluster.probe-interval", "PT0S");
        assertInvalid("quark.cluster.silo-ttl=5s", "quark.cluster.silo-ttl", "PT5S");
        assertInvalid("quark.cluster.virtual-nodes=0", "quark.cluster.virtual-nodes", "0");
        assertInvalid("quark.cluster.silo.id= x y", "quark.cluster.silo.id", "x y");
        assertInvalid("quark.cluster.silo.advertised-port=70000", "quark.cluster.silo.advertised-port", "70000");
        assertInvalid("quark.cluster.reachability-timeout=0s", "quark.cluster.reachability-timeout", "PT0S");
        assertInvalid("quark.cluster.reachability-timeout=100ms", "quark.cluster.reachability-timeout", "PT0.1S");
    }

    @Test
    void reachabilityTimeoutIsTenSecondsOrAThirdOfTheJoinTimeoutUnlessSetAndMustBeShorterThanIt() {
        this.contextRunner.withPropertyValues("quark.cluster.enabled=true").run((context) -> {
            assertThat(context.getBean(SiloMembership.class).settings().reachabilityTimeout())
                .isEqualTo(Duration.ofSeconds(10));
            assertThat(context.getBean(QuarkClusterProperties.class).getJoinTimeout())
                .as("longer than the silo TTL and a probe interval, for the first silo of a fast full restart")
                .isGreaterThan(context.getBean(QuarkClusterProperties.class).getSiloTtl().plusSeconds(1));
        });
        this.contextRunner.withPropertyValues("quark.cluster.enabled=true", "quark.cluster.join-timeout=15s",
                "quark.cluster.heartbeat-interval=2s", "quark.cluster.fencing-margin=1s", "quark.cluster.silo-ttl=8s")
            .run((context) -> assertThat(context.getBean(SiloMembership.class).settings().reachabilityTimeout())
                .isEqualTo(Duration.ofSeconds(5)));
        this.contextRunner.withPropertyValues("quark.cluster.enabled=true", "quark.cluster.join-timeout=11500ms",
                "quark.cluster.heartbeat-interval=1s", "quark.cluster.fencing-margin=1s", "quark.cluster.silo-ttl=3s",
                "quark.cluster.probe-timeout=4s", "quark.cluster.probe-interval=4s")
            .run((context) -> assertThat(context.getBean(SiloMembership.class).settings().reachabilityTimeout())
                .as("a third of the join timeout raised to the probe timeout, not an error about a property never set")
                .isEqualTo(Duration.ofSeconds(4)));
        this.contextRunner
            .withPropertyValues("quark.cluster.enabled=true", "quark.cluster.reachability-timeout=4s")
            .run((context) -> assertThat(context.getBean(SiloMembership.class).settings().reachabilityTimeout())
                .isEqualTo(Duration.ofSeconds(4)));
        this.contextRunner
            .withPropertyValues("quark.cluster.enabled=true", "quark.cluster.join-timeout=5s",
                    "quark.cluster.reachability-timeout=5s")
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                    .hasMessageContaining("quark.cluster.reachability-timeout")
                    .hasMessageContaining("must be shorter than quark.cluster.join-timeout (PT5S)");
            });
    }

    @Test
    void joinTimeoutShorterThanTheWaitForTheEntriesOfCrashedSilosToExpireIsRefusedNamingTheValues() {
        this.contextRunner.withPropertyValues("quark.cluster.enabled=true", "quark.cluster.join-timeout=30s")
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                    .hasMessageContaining("quark.cluster.join-timeout")
                    .hasMessageContaining("PT30S")
                    .hasMessageContaining("must be longer than PT32S")
                    .hasMessageContaining("quark.cluster.silo-ttl (PT30S) + quark.cluster.probe-interval (PT1S)")
                    .hasMessageContaining("quark.cluster.probe-timeout (PT1S)");
            });
        this.contextRunner.withPropertyValues("quark.cluster.enabled=true", "quark.cluster.silo-ttl=2m")
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining("quark.cluster.join-timeout")
                .hasMessageContaining("must be longer than PT2M2S"));
        this.contextRunner.withPropertyValues("quark.cluster.enabled=true", "quark.cluster.silo-ttl=2m",
                "quark.cluster.join-timeout=123s")
            .run((context) -> assertThat(context).hasNotFailed());
    }

    private void assertInvalid(String property, String name, String value) {
        this.contextRunner.withPropertyValues("quark.cluster.enabled=true", property).run((context) -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(InvalidConfigurationPropertyValueException.class)
                .hasMessageContaining(name)
                .hasMessageContaining(value);
        });
    }

    @Test
    void withoutATransportTheStartFailsClearly() {
        this.contextRunner.withPropertyValues("quark.cluster.enabled=true", "quark.cluster.transport.in-jvm=false")
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("no Transport")
                    .hasMessageContaining("quark.cluster.transport.in-jvm");
            });
    }

    @Test
    void membershipOnRedisWithoutSpringDataRedisFailsThroughTheSharedAnalyzer() {
        this.contextRunner
            .withPropertyValues("quark.cluster.enabled=true", "quark.cluster.membership.backend=redis")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                    .isInstanceOf(MissingBackendDependencyException.class)
                    .hasMessageContaining("cluster.membership");
            });
    }

    @Test
    void membershipFollowsQuarkBackend() {
        this.contextRunner.withPropertyValues("quark.cluster.enabled=true", "quark.backend=redis")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> assertThat(context.getStartupFailure()).rootCause()
                .isInstanceOf(MissingBackendDependencyException.class));
    }

    @Test
    void aSiloStopsGracefullyWithinItsLeaveTimeout() {
        String cluster = "leave-" + System.nanoTime();
        this.contextRunner
            .withPropertyValues("quark.cluster.enabled=true", "quark.cluster.name=" + cluster,
                    "quark.cluster.silo.id=leaving", "quark.cluster.leave-timeout=5s")
            .run((context) -> assertThat(context.getBean(SiloMembership.class).state())
                .isEqualTo(MembershipState.ACTIVE));
        assertThat(JvmWideCluster.membership(cluster).read().silo("leaving"))
            .hasValueSatisfying((entry) -> assertThat(entry.status()).isEqualTo(SiloStatus.DEAD));
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = GreeterActor.class)
    public static class GreeterApplication {

        @Bean
        Salutation salutation() {
            return new Salutation("Hello");
        }
    }
}
