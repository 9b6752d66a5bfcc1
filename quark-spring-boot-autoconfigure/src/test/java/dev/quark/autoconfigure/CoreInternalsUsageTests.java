package dev.quark.autoconfigure;

import java.util.List;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.quark.autoconfigure.actors.ActorRuntimeHints;
import dev.quark.runtime.internal.ContractIntrospector;
import dev.quark.state.internal.StateField;
import dev.quark.state.internal.StateFields;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.Dependency.Predicates.dependency;
import static com.tngtech.archunit.core.domain.Dependency.Predicates.dependencyTarget;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.conditions.ArchConditions.haveAnyDependenciesThat;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Other modules use quark-core through its public packages; its {@code ..internal..} packages carry no
 * compatibility promise. The few uses that cannot go through public API are declared below, each with its
 * reason. The test class path of this module holds the production classes of the test kit and this module, so the
 * rule covers the test kit too. Only the classes the rule is about are imported: the classes they depend on are
 * known by name and package (archunit.properties), which is all the rule asks of them, and importing the other
 * modules' classes as well took seconds.
 */
@AnalyzeClasses(packages = { "dev.quark.autoconfigure", "dev.quark.testkit" },
        importOptions = ImportOption.DoNotIncludeTests.class)
class CoreInternalsUsageTests {

    private static final String[] OTHER_MODULES = { "dev.quark.autoconfigure..", "dev.quark.testkit.." };

    private static final List<DeclaredUse> DECLARED_SPIS = List.of(
            new DeclaredUse(ActorRuntimeHints.class, ContractIntrospector.class,
                    "native-image hints must cover exactly the contracts the runtime serves, found the way it finds them"),
            new DeclaredUse(ActorRuntimeHints.class, StateFields.class,
                    "native-image hints must cover exactly the @ActorState fields the runtime injects"),
            new DeclaredUse(ActorRuntimeHints.class, StateField.class,
                    "each injected state field and its value type get a reflection and a JSON binding hint"));

    @ArchTest
    static final ArchRule otherModulesUseCoreInternalsOnlyThroughDeclaredSpis = noClasses().that()
        .resideInAnyPackage(OTHER_MODULES)
        .should(haveAnyDependenciesThat(onCoreInternals().and(not(declaredSpiUse()))))
        .because("quark-core's internal packages carry no compatibility promise: other modules use its public "
                + "API, or one of the SPI uses declared with its reason in CoreInternalsUsageTests");

    @ArchTest
    static void everyDeclaredSpiUseIsStillMade(JavaClasses classes) {
        for (DeclaredUse use : DECLARED_SPIS) {
            assertThat(classes.get(use.user()).getDirectDependenciesFromSelf())
                .extracting((dependency) -> dependency.getTargetClass().getName())
                .as("%s is declared to use %s (%s); drop the declaration when it no longer does",
                        use.user().getSimpleName(), use.internal().getSimpleName(), use.reason())
                .contains(use.internal().getName());
        }
    }

    private static DescribedPredicate<Dependency> onCoreInternals() {
        return dependencyTarget(resideInAPackage("dev.quark..internal..").and(resideOutsideOfPackages(OTHER_MODULES)))
            .as("reach into quark-core's internal packages");
    }

    private static DescribedPredicate<Dependency> declaredSpiUse() {
        return DECLARED_SPIS.stream()
            .map((use) -> dependency(use.user(), use.internal()))
            .reduce(DescribedPredicate.alwaysFalse(), (first, second) -> first.or(second))
            .as("are a declared SPI use");
    }

    /**
     * A use of one of quark-core's internal classes by another module's class, allowed for a reason.
     */
    private record DeclaredUse(Class<?> user, Class<?> internal, String reason) {
    }
}
