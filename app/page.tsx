import { redirect } from "next/navigation";
import { getCurrentAccount } from "@/app/_server/session";

export default async function Home() {
  redirect((await getCurrentAccount()) ? "/mail" : "/login");
}
