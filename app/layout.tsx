import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Nav } from "./components/nav";
import "./globals.css";

export const metadata: Metadata = {
  title: "Arbiter",
  description: "Human preference labelling with RLHF built in",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen">
        <Nav />
        <main className="mx-auto w-full max-w-6xl px-4 py-6">{children}</main>
      </body>
    </html>
  );
}
