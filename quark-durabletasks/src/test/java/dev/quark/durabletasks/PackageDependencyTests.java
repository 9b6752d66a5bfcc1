package dev.quark.durabletasks;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The arrows inside quark-durabletasks: the API knows neither the engine nor the backends, backends know only the
 * SPI, and nothing here depends on the actor runtime.
 */
@AnalyzeClasses(packages = "dev.quark.durabletasks", importOptions = ImportOption.DoNotIncludeTests.class)
class PackageDependencyTests {

    @ArchTest
    static final ArchRule theApiKnowsNeitherTheEngineNorTheBackends = noClasses().that()
        .resideInAnyPackage("dev.quark.durabletasks", "dev.quark.durabletasks.history", "dev.quark.durabletasks.payload",
                "dev.quark.durabletasks.store")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.quark.durabletasks.internal..", "dev.quark.durabletasks.worker..",
                "dev.quark.durabletasks.client..", "dev.quark.durabletasks.store.memory..",
                "dev.quark.durabletasks.store.jdbc..", "dev.quark.durabletasks.store.redis..")
        .because("the programming model and the store SPI are what users and backends build on; the engine builds on "
                + "them");

    @ArchTest
    static final ArchRule backendsDependOnlyOnTheSpi = classes().that()
        .resideInAnyPackage("dev.quark.durabletasks.store.memory..", "dev.quark.durabletasks.store.jdbc..",
                "dev.quark.durabletasks.store.redis..")
        .should()
        .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..").or(resideInAnyPackage(
                "dev.quark.durabletasks.store..", "dev.quark.durabletasks", "dev.quark.durabletasks.history",
                "dev.quark.lease", "dev.quark.lease.redis", "dev.quark.jdbc", "dev.quark.redis")))
        .because("a backend implements the store SPI and is chosen by the wiring");

    @ArchTest
    static final ArchRule nothingDependsOnTheActorRuntime = noClasses().that()
        .resideOutsideOfPackage("dev.quark.durabletasks.cluster")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.quark.actor..", "dev.quark.runtime..", "dev.quark.cluster..", "dev.quark.state..")
        .because("durable tasks are built on leases, not on actors");

    @ArchTest
    static final ArchRule onlyTheExceptionTableKnowsTheCodec = classes().that()
        .resideInAPackage("dev.quark.durabletasks.cluster")
        .should()
        .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..").or(resideInAnyPackage(
                "dev.quark.durabletasks..", "dev.quark.cluster.transport.jackson")))
        .because("durable tasks add their exceptions (from any of the module's packages) to the codec's table, and "
                + "use nothing else of the cluster");
}
