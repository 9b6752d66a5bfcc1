package dev.quark.messaging;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The arrows of quark-messaging: the API depends on no other Quark package; the store SPI on the API and leases;
 * each store on the SPI; the runtime on the SPI, never on a store; only the actor destination knows actors.
 */
@AnalyzeClasses(packages = "dev.quark.messaging", importOptions = ImportOption.DoNotIncludeTests.class)
class MessagingPackageDependencyTests {

    private static final String[] STORES = { "dev.quark.messaging.store.memory..", "dev.quark.messaging.store.jdbc..",
            "dev.quark.messaging.store.redis.." };

    @ArchTest
    static final ArchRule apiDependsOnNoOtherQuarkPackage = classes().that()
        .resideInAPackage("dev.quark.messaging")
        .should()
        .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..").or(resideInAnyPackage("dev.quark.messaging")))
        .because("the API applications use knows neither the stores nor the engine");

    @ArchTest
    static final ArchRule nothingDependsOnAStore = noClasses().that()
        .resideOutsideOfPackages(STORES)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(STORES)
        .because("stores are chosen by the wiring");

    @ArchTest
    static final ArchRule onlyTheActorDestinationKnowsActors = noClasses().that()
        .resideOutsideOfPackages("dev.quark.messaging.publisher", "dev.quark.messaging.cluster")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.quark.actor..", "dev.quark.runtime..", "dev.quark.cluster..")
        .because("the outbox builds on leases; actors are one destination among others");

    @ArchTest
    static final ArchRule onlyTheExceptionTableKnowsTheCodec = classes().that()
        .resideInAPackage("dev.quark.messaging.cluster")
        .should()
        .onlyDependOnClassesThat(resideOutsideOfPackage("dev.quark..").or(resideInAnyPackage(
                "dev.quark.messaging", "dev.quark.messaging.cluster", "dev.quark.cluster.transport.jackson")))
        .because("messaging adds its exceptions to the codec's table, and uses nothing else of the cluster");
}
