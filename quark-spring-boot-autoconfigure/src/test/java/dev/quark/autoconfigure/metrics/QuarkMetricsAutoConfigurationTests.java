package dev.quark.autoconfigure.metrics;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.fixtures.greeting.Greeter;
import dev.quark.autoconfigure.fixtures.greeting.GreeterActor;
import dev.quark.autoconfigure.fixtures.greeting.Salutation;
import dev.quark.cluster.client.ClientMetrics;
import dev.quark.cluster.routing.RoutingMetrics;
import dev.quark.cluster.transport.grpc.GrpcTransportMetrics;
import dev.quark.runtime.ActorMetrics;
import dev.quark.runtime.ActorRuntime;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class QuarkMetricsAutoConfigurationTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
                QuarkMetricsAutoConfiguration.class, QuarkActorsAutoConfiguration.class))
        .withUserConfiguration(GreetingApplication.class);

    @Test
    void callsAreTimedByContractMethodAndOutcome() {
        this.contextRunner.run((context) -> {
            Greeter greeter = context.getBean(ActorRefFactory.class).get(Greeter.class, "m");
            greeter.greet("a");
            greeter.greet("b");
            assertThatIllegalStateException().isThrownBy(() -> greeter.fail("nope"));
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            Timer success = registry.get(MicrometerActorMetrics.CALLS)
                .tags("contract", "Greeter", "method", "greet", "outcome", "success")
                .timer();
            Timer failure = registry.get(MicrometerActorMetrics.CALLS)
                .tags("contract", "Greeter", "method", "fail", "outcome", "failure")
                .timer();
            assertThat(success.count()).isEqualTo(2);
            assertThat(failure.count()).isEqualTo(1);
        });
    }

    @Test
    void activationsAndMailboxDepthAreGaugedPerContract() {
        this.contextRunner.run((context) -> {
            ActorRefFactory actors = context.getBean(ActorRefFactory.class);
            actors.get(Greeter.class, "x").greet("a");
            actors.get(Greeter.class, "y").greet("a");
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get(MicrometerActorMetrics.ACTIVATIONS).tag("contract", "Greeter").gauge().value())
                .isEqualTo(2);
            assertThat(registry.get(MicrometerActorMetrics.MAILBOX_DEPTH).tag("contract", "Greeter").gauge().value())
                .isZero();
        });
    }

    @Test
    void supervisionDecisionsAreCountedByDirectiveAndContract() {
        this.contextRunner.run((context) -> {
            ActorMetrics metrics = context.getBean(ActorMetrics.class);
            metrics.supervisionDecision("Greeter", dev.quark.supervision.Directive.RESTART);
            metrics.supervisionDecision("Greeter", dev.quark.supervision.Directive.RESTART);
            metrics.supervisionDecision("Greeter", dev.quark.supervision.Directive.STOP);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get(MicrometerActorMetrics.SUPERVISION_DECISIONS)
                .tags("directive", "restart", "contract", "Greeter")
                .counter()
                .count()).isEqualTo(2);
            assertThat(registry.get(MicrometerActorMetrics.SUPERVISION_DECISIONS)
                .tags("directive", "stop", "contract", "Greeter")
                .counter()
                .count()).isEqualTo(1);
        });
    }

    @Test
    void shedActivationsAreCountedByReasonAndContract() {
        this.contextRunner.withPropertyValues("quark.actors.max-activations=1", "quark.actors.shedding-check-interval=1h")
            .run((context) -> {
                ActorRefFactory actors = context.getBean(ActorRefFactory.class);
                actors.get(Greeter.class, "x").greet("a");
                actors.get(Greeter.class, "y").greet("a");
                actors.get(Greeter.class, "z").greet("a");
                assertThat(context.getBean(ActorRuntime.class).collectIdleActivations()).isEqualTo(3);
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                assertThat(registry.get(MicrometerActorMetrics.ACTIVATIONS_SHED)
                    .tags("reason", "max_activations", "contract", "Greeter")
                    .counter()
                    .count()).isEqualTo(3);
            });
    }

    @Test
    void readyQueueSchedulerEventsAreCounted() {
        this.contextRunner.run((context) -> {
            ActorMetrics metrics = context.getBean(ActorMetrics.class);
            metrics.turnRunnersExhausted(4);
            metrics.turnRunnersExhausted(4);
            metrics.turnRunnerStartFailed();
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get(MicrometerActorMetrics.TURN_RUNNERS_EXHAUSTED).counter().count()).isEqualTo(2);
            assertThat(registry.get(MicrometerActorMetrics.TURN_RUNNER_START_FAILURES).counter().count()).isEqualTo(1);
        });
    }

    @Test
    void deadlocksBrokenAndProbesDroppedAreCounted() {
        this.contextRunner.run((context) -> {
            ActorMetrics metrics = context.getBean(ActorMetrics.class);
            metrics.deadlockBroken(false);
            metrics.deadlockBroken(true);
            metrics.deadlockBroken(true);
            metrics.deadlockProbeDropped();
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get(MicrometerActorMetrics.DEADLOCKS_BROKEN).tags("scope", "silo").counter().count())
                .isEqualTo(1);
            assertThat(registry.get(MicrometerActorMetrics.DEADLOCKS_BROKEN).tags("scope", "cluster").counter()
                .count()).isEqualTo(2);
            assertThat(registry.get(MicrometerActorMetrics.DEADLOCK_PROBES_DROPPED).counter().count()).isEqualTo(1);
        });
    }

    @Test
    void readyQueueRunnersAreGaugedOnlyWithTheReadyQueueScheduler() {
        this.contextRunner.withPropertyValues("quark.actors.turn-scheduler=ready-queue").run((context) -> {
            context.getBean(ActorRefFactory.class).get(Greeter.class, "r").greet("a");
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.get(MicrometerActorMetrics.TURN_RUNNERS).gauge().value()).isGreaterThanOrEqualTo(1);
            assertThat(registry.get(MicrometerActorMetrics.TURN_RUNNERS_BLOCKED).gauge().value()).isZero();
        });
        this.contextRunner.run((context) -> assertThat(context.getBean(MeterRegistry.class)
            .find(MicrometerActorMetrics.TURN_RUNNERS)
            .gauge()).isNull());
    }

    @Test
    void grpcTransportMetricsAreBoundOnlyInAClusterOverGrpc() {
        ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                    CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
                    QuarkMetricsAutoConfiguration.class));
        runner.run((context) -> assertThat(context).doesNotHaveBean(GrpcTransportMetrics.class));
        runner.withPropertyValues("quark.cluster.transport.type=grpc")
            .run((context) -> assertThat(context).doesNotHaveBean(GrpcTransportMetrics.class));
        runner.withPropertyValues("quark.cluster.enabled=true")
            .run((context) -> assertThat(context).as("in-jvm by default").doesNotHaveBean(GrpcTransportMetrics.class));
        runner.withPropertyValues("quark.cluster.enabled=true", "quark.cluster.transport.type=in-jvm")
            .run((context) -> assertThat(context).doesNotHaveBean(GrpcTransportMetrics.class));
        runner.withPropertyValues("quark.cluster.enabled=true", "quark.cluster.transport.type=grpc")
            .run((context) -> assertThat(context).getBean(GrpcTransportMetrics.class)
                .isInstanceOf(MicrometerGrpcTransportMetrics.class));
    }

    @Test
    void clientMetricsAreOnlyThoseOfAClusterClientNotOfASilo() {
        ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                    CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
                    QuarkMetricsAutoConfiguration.class))
            .withPropertyValues("quark.cluster.enabled=true");
        runner.run((context) -> {
            assertThat(context).hasSingleBean(RoutingMetrics.class);
            assertThat(context).doesNotHaveBean(ClientMetrics.class);
        });
        runner.withPropertyValues("quark.cluster.mode=silo")
            .run((context) -> assertThat(context).doesNotHaveBean(ClientMetrics.class));
        runner.withPropertyValues("quark.cluster.mode=client")
            .run((context) -> assertThat(context).hasSingleBean(MicrometerClientMetrics.class));
    }

    @Test
    void noMetricsWithoutAMeterRegistry() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(QuarkMetricsAutoConfiguration.class,
                    QuarkActorsAutoConfiguration.class))
            .run((context) -> assertThat(context).doesNotHaveBean(ActorMetrics.class));
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = GreeterActor.class)
    static class GreetingApplication {

        @Bean
        Salutation salutation() {
            return new Salutation("Hey");
        }
    }
}
