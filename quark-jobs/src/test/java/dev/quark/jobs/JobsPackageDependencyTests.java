package dev.quark.jobs;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The arrows of quark-jobs (docs/development.md, "Package dependencies"): the API depends on no other Quark package
 * but leases; the store SPI on the API and leases; each store on the SPI (and the shared JDBC support); the runtime on
 * the SPI, never on a store; nothing of it on the actor runtime.
 */
@AnalyzeClasses(packages = "dev.quark.jobs", importOptions = ImportOption.DoNotIncludeTests.class)
class JobsPackageDependencyTests {

    private static final String[] STORES = { "dev.quark.jobs.store.memory..", "dev.quark.jobs.store.jdbc..",
            "dev.quark.jobs.store.redis.." };

    @ArchTest
    static final ArchRule apiDependsOnlyOnLeases = classes().that()
        .resideInAPackage("dev.quark.jobs")
        .should()
        .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..").or(resideInAnyPackage("dev.quark.jobs",
                "dev.quark.lease")))
        .because("the API applications use knows neither the stores nor the engine");

    @ArchTest
    static final ArchRule storesDependOnlyOnTheSpi = classes().that()
        .resideInAnyPackage(STORES)
        .should()
        .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..").or(resideInAnyPackage("dev.quark.jobs",
                "dev.quark.jobs.store", "dev.quark.jobs.store.internal", "dev.quark.jobs.store.memory..",
                "dev.quark.jobs.store.jdbc..", "dev.quark.jobs.store.redis..", "dev.quark.lease", "dev.quark.lease.jdbc",
                "dev.quark.lease.redis", "dev.quark.jdbc")))
        .because("a store implements the SPI with the lease API, the shared JDBC support and what the stores share");

    @ArchTest
    static final ArchRule nothingDependsOnAStore = noClasses().that()
        .resideOutsideOfPackages(STORES)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(STORES)
        .because("stores are chosen by the wiring");

    @ArchTest
    static final ArchRule jobsDoNotDependOnTheActorRuntime = noClasses().that()
        .resideOutsideOfPackage("dev.quark.jobs.cluster")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.quark.actor..", "dev.quark.runtime..", "dev.quark.cluster..", "dev.quark.state..")
        .because("jobs build on leases only; actors may enqueue jobs, not the other way round");

    @ArchTest
    static final ArchRule onlyTheExceptionTableKnowsTheCodec = classes().that()
        .resideInAPackage("dev.quark.jobs.cluster")
        .should()
        .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..").or(resideInAnyPackage("dev.quark.jobs",
                "dev.quark.jobs.cluster", "dev.quark.cluster.transport.jackson")))
        .because("jobs add their exceptions to the codec's table, and use nothing else of the cluster");
}
