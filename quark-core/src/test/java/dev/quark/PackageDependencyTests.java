package dev.quark;

import java.util.Arrays;
import java.util.stream.Stream;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;
import dev.quark.lease.FencingToken;
import dev.quark.runtime.ActorAddress;
import dev.quark.state.jdbc.JdbcStateAttachment;
import dev.quark.state.memory.InMemoryStateAttachment;
import dev.quark.state.redis.RedisAttachmentSlots;
import dev.quark.state.redis.RedisStagedAttachment;
import dev.quark.state.redis.RedisStateAttachment;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.type;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The arrows of DESIGN.md "How a call finds its activation" and "Modules", checked on quark-core's
 * production classes. docs/development.md ("Package dependencies") states the same rules for readers.
 */
@AnalyzeClasses(packages = "dev.quark", importOptions = ImportOption.DoNotIncludeTests.class)
class PackageDependencyTests {

    private static final String[] PUBLIC_ACTOR_API = { "dev.quark.actor..", "dev.quark.supervision.." };

    private static final String[] STATE_BACKENDS = { "dev.quark.state.memory..", "dev.quark.state.redis..",
            "dev.quark.state.jdbc.." };

    private static final String[] MEMBERSHIP_BACKENDS = { "dev.quark.cluster.membership.memory..",
            "dev.quark.cluster.membership.redis..", "dev.quark.cluster.membership.jdbc.." };

    private static final String[] REMINDER_BACKENDS = { "dev.quark.reminder.memory..", "dev.quark.reminder.redis..",
            "dev.quark.reminder.jdbc.." };

    private static final String[] LEASE_BACKENDS = { "dev.quark.lease.memory..", "dev.quark.lease.redis..",
            "dev.quark.lease.jdbc.." };

    @ArchTest
    static final ArchRule actorApiDependsOnNothingElseOfQuark = classes().that()
        .resideInAnyPackage(PUBLIC_ACTOR_API)
        .should()
        .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..").or(resideInAnyPackage(PUBLIC_ACTOR_API)))
        .because("the actor API is the bottom layer: the runtime and the cluster depend on it, it imports neither");

    @ArchTest
    static final ArchRule runtimeInternalsStayInTheRuntime = noClasses().that()
        .resideOutsideOfPackage("dev.quark.runtime..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.quark.runtime.internal..")
        .because("the cluster and the areas built on the runtime use its public API and SPIs "
                + "(dev.quark.runtime, dev.quark.runtime.routing, dev.quark.runtime.filter), never its internals");

    @ArchTest
    static final ArchRule runtimeDependsOnNothingBuiltOnIt = noClasses().that()
        .resideInAPackage("dev.quark.runtime..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.quark.cluster..", "dev.quark.state..", "dev.quark.reminder..", "dev.quark.jobs..",
                "dev.quark.durabletasks..", "dev.quark.messaging..")
        .because("the runtime defines the small interfaces it needs (ActivationHook, routing) and the cluster, "
                + "state and the areas built on the runtime implement them");

    private static final String[] EVENT_STORE_BACKENDS = { "dev.quark.eventsourcing.memory..",
            "dev.quark.eventsourcing.redis..", "dev.quark.eventsourcing.jdbc.." };

    /**
     * The kinds of writes a state store makes atomically with a save, which event stores take with an append, and on
     * Redis the choice of an attachment's form a Cluster slot can run (staged or in place), which both stores share.
     */
    private static final DescribedPredicate<JavaClass> STATE_ATTACHMENT_KINDS = type(InMemoryStateAttachment.class)
        .or(type(RedisStateAttachment.class))
        .or(type(RedisStagedAttachment.class))
        .or(type(RedisAttachmentSlots.class))
        .or(type(JdbcStateAttachment.class));

    @ArchTest
    static final ArchRule nothingElseInCoreDependsOnAStateBackend = noClasses().that()
        .resideOutsideOfPackages(STATE_BACKENDS)
        .should()
        .dependOnClassesThat(resideInAnyPackage(STATE_BACKENDS).and(not(STATE_ATTACHMENT_KINDS)))
        .because("backends implement the state SPI and are chosen by the wiring, never by the code they serve");

    @ArchTest
    static final ArchRule onlyEventStoreBackendsTakeStateAttachmentKinds = noClasses().that()
        .resideOutsideOfPackages(Stream.concat(Arrays.stream(STATE_BACKENDS), Arrays.stream(EVENT_STORE_BACKENDS)).toArray(String[]::new))
        .should()
        .dependOnClassesThat(STATE_ATTACHMENT_KINDS)
        .because("an event store of a backend makes the attached writes of that backend's kind with an append "
                + "(outbox messages with an event-sourced actor's events); nothing else in core knows these kinds");

    @ArchTest
    static final ArchRule stateBackendsDependOnlyOnTheStateSpi = CompositeArchRule.of(Arrays.stream(STATE_BACKENDS)
        .map((backend) -> classes().that()
            .resideInAPackage(backend)
            .should()
            .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..")
                .or(resideInAnyPackage(backend, "dev.quark.state", "dev.quark.jdbc"))
                .or(resideInAPackage(backend.equals("dev.quark.state.redis..") ? "dev.quark.redis" : backend)))
            .because("a backend implements the state SPI (dev.quark.state) with the shared JDBC support "
                    + "(dev.quark.jdbc; the Redis one with the shared Redis support, dev.quark.redis), and knows neither "
                    + "the runtime, nor state.internal, nor other backends"))
        .toList()).as("state backends depend only on the state SPI");

    @ArchTest
    static final ArchRule nothingElseInCoreDependsOnAMembershipBackend = noClasses().that()
        .resideOutsideOfPackages(MEMBERSHIP_BACKENDS)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(MEMBERSHIP_BACKENDS)
        .because("membership backends implement the membership SPI and are chosen by the wiring, never by the "
                + "cluster code they serve");

    @ArchTest
    static final ArchRule membershipBackendsDependOnlyOnTheMembershipSpi = CompositeArchRule
        .of(Arrays.stream(MEMBERSHIP_BACKENDS)
            .map((backend) -> classes().that()
                .resideInAPackage(backend)
                .should()
                .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..")
                    .or(resideInAnyPackage(backend, "dev.quark.cluster.membership", "dev.quark.jdbc",
                            "dev.quark.redis")))
                .because("a backend implements the membership SPI (dev.quark.cluster.membership) with the shared "
                        + "JDBC and Redis support (dev.quark.jdbc, dev.quark.redis), and knows neither the ring, the transport, the runtime, "
                        + "nor other backends"))
            .toList())
        .as("membership backends depend only on the membership SPI");

    @ArchTest
    static final ArchRule leasesDependOnNeitherTheRuntimeNorTheCluster = noClasses().that()
        .resideInAPackage("dev.quark.lease..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.quark.actor..", "dev.quark.runtime..", "dev.quark.cluster..", "dev.quark.state..")
        .because("leases are a building block under jobs, durable tasks, reminders and the outbox; the lease keeper "
                + "takes a scheduler of its own shape instead of the runtime's");

    @ArchTest
    static final ArchRule nothingElseInCoreDependsOnALeaseBackend = noClasses().that()
        .resideOutsideOfPackages(LEASE_BACKENDS)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(LEASE_BACKENDS)
        .because("lease backends implement the lease SPI and are chosen by the wiring");

    @ArchTest
    static final ArchRule leaseBackendsDependOnlyOnTheLeaseSpi = CompositeArchRule.of(Arrays.stream(LEASE_BACKENDS)
        .map((backend) -> classes().that()
            .resideInAPackage(backend)
            .should()
            .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..")
                .or(resideInAnyPackage(backend, "dev.quark.lease", "dev.quark.jdbc")))
            .because("a backend implements the lease SPI (dev.quark.lease) with the shared JDBC support "
                    + "(dev.quark.jdbc), and knows neither the runtime nor other backends"))
        .toList()).as("lease backends depend only on the lease SPI");

    @ArchTest
    static final ArchRule nothingElseInCoreDependsOnAReminderBackend = noClasses().that()
        .resideOutsideOfPackages(REMINDER_BACKENDS)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(REMINDER_BACKENDS)
        .because("reminder tables implement the reminder SPI and are chosen by the wiring");

    @ArchTest
    static final ArchRule reminderBackendsDependOnlyOnTheReminderSpi = CompositeArchRule
        .of(Arrays.stream(REMINDER_BACKENDS)
            .map((backend) -> classes().that()
                .resideInAPackage(backend)
                .should()
                .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..")
                    .or(resideInAnyPackage(backend, "dev.quark.reminder", "dev.quark.jdbc", "dev.quark.actor"))
                    .or(resideInAPackage(backend.equals("dev.quark.reminder.redis..") ? "dev.quark.redis" : backend))
                    .or(type(ActorAddress.class))
                    .or(type(FencingToken.class)))
                .because("a table implements the reminder SPI (dev.quark.reminder, whose entries hold actor "
                        + "addresses and schedules, and whose fenced writes carry lease tokens) with the shared JDBC "
                        + "support (the Redis one with the shared Redis support), and knows neither the runtime, nor the tick manager's internals, nor the lease "
                        + "stores, nor other backends"))
            .toList())
        .as("reminder backends depend only on the reminder SPI");

    @ArchTest
    static final ArchRule remindersUseTheRingHashOnlyOfTheCluster = noClasses().that()
        .resideInAPackage("dev.quark.reminder..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.quark.cluster.membership..", "dev.quark.cluster.transport..")
        .because("reminders use the ring's hash for their buckets; the cluster gives them bucket ownership through "
                + "ReminderBucketOwnership");

    @ArchTest
    static final ArchRule sharedRedisSupportDependsOnNothingElseOfQuark = classes().that()
        .resideInAPackage("dev.quark.redis..")
        .should()
        .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..").or(resideInAnyPackage("dev.quark.redis..")))
        .because("the shared Redis support (one subscription connection per factory) sits under the membership, the "
                + "jobs and the durable tasks, as dev.quark.jdbc does for PostgreSQL");

    @ArchTest
    static final ArchRule hashRingDependsOnlyOnActorAddresses = classes().that()
        .resideInAPackage("dev.quark.cluster.ring..")
        .should()
        .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..")
            .or(resideInAnyPackage("dev.quark.cluster.ring..", "dev.quark.runtime")))
        .because("the ring is pure arithmetic over silo ids and actor addresses (dev.quark.runtime.ActorAddress): "
                + "membership, placement and the directory build on it, it knows none of them");
}
